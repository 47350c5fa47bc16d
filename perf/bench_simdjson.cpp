// bench_simdjson.cpp — the JSON ceiling for bench_http: simdjson's DOM
// parser (Debian libsimdjson) over the same bodies, touching every field
// of every event (strings' bytes counted, numbers and booleans read).
//
// usage: bench_simdjson BODIES_FILE [--seconds S]   (one JSON body per line)
#include <simdjson.h>

#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#define STR2(x) #x
#define STR(x) STR2(x)

static uint64_t touch_event(simdjson::dom::object obj, size_t &fields)
{
	uint64_t sink = 0;
	for (auto field : obj) {
		fields++;
		sink += field.key.size();
		simdjson::dom::element v = field.value;
		switch (v.type()) {
		case simdjson::dom::element_type::STRING: sink += std::string_view(v).size(); break;
		case simdjson::dom::element_type::INT64: sink += (uint64_t)int64_t(v); break;
		case simdjson::dom::element_type::UINT64: sink += uint64_t(v); break;
		case simdjson::dom::element_type::BOOL: sink += bool(v); break;
		default: sink += 1; break;
		}
	}
	return sink;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: %s BODIES_FILE [--seconds S]\n", argv[0]);
		return 2;
	}
	double seconds = 2.0;
	for (int i = 2; i + 1 < argc; i++)
		if (!std::strcmp(argv[i], "--seconds"))
			seconds = std::atof(argv[++i]);
	std::ifstream in(argv[1]);
	if (!in) {
		std::perror(argv[1]);
		return 1;
	}
	std::vector<simdjson::padded_string> bodies;
	size_t total = 0;
	for (std::string line; std::getline(in, line);) {
		if (line.empty())
			continue;
		total += line.size();
		bodies.emplace_back(line);
	}
	simdjson::dom::parser parser;
	uint64_t sink = 0;
	size_t rounds = 0, events = 0, fields = 0;
	// Thread CPU time, like bench_http: the machine is shared.
	auto cpu = [] {
		timespec ts;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	};
	double t0 = cpu();
	double elapsed;
	do {
		for (auto &b : bodies) {
			simdjson::dom::element doc;
			auto err = parser.parse(b).get(doc);
			if (err) {
				std::fprintf(stderr, "simdjson: %s\n", simdjson::error_message(err));
				return 1;
			}
			simdjson::dom::array arr;
			if (doc["events"].get(arr) == simdjson::SUCCESS) {
				for (simdjson::dom::element ev : arr) {
					sink += touch_event(ev.get_object(), fields);
					events++;
				}
			} else {
				sink += touch_event(doc.get_object(), fields);
				events++;
			}
		}
		rounds++;
		elapsed = cpu() - t0;
	} while (elapsed < seconds);
	double mbps = (double)total * (double)rounds / elapsed / 1e6;
	std::printf("bench_simdjson: simdjson %s DOM (%s kernel), %zu bodies, %.2f MB, %zu rounds in %.2f CPU-s, one thread\n",
		    STR(SIMDJSON_VERSION), simdjson::get_active_implementation()->name().c_str(), bodies.size(), total / 1e6, rounds, elapsed);
	std::printf("  parse + touch every field: %8.1f MB/s, %10.0f events/s (%zu fields/round)\n", mbps,
		    (double)events / elapsed, fields / rounds);
	std::printf("RESULT simdjson_MBps=%.1f events_per_s=%.0f sink=%llu\n", mbps, (double)events / elapsed,
		    (unsigned long long)(sink & 1));
	return 0;
}
