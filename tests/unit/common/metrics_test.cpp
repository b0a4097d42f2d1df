// Prometheus metrics: values, histogram buckets, label handling and the exact text exposition format 0.0.4.
#include "common/metrics.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using va::metrics::Registry;

TEST(MetricsExposition, SmallRegistryRendersExactly) {
  Registry registry;
  auto& requests = registry.counter("http_requests_total", "HTTP requests served.", {"method", "code"});
  requests.with({"GET", "200"}).inc(3);
  requests.with({"POST", "500"}).inc();
  requests.with({"GET", "404"}).inc(0.5);
  registry.gauge("active_calls", "Calls in progress.").get().set(2);
  auto& latency =
      registry.histogram("stt_latency_seconds", "Speech-to-text latency.", {"engine"}, {0.005, 0.1, 1});
  auto& whisper = latency.with({"whisper"});
  for (const double v : {0.003, 0.05, 0.1, 2.0}) whisper.observe(v);

  EXPECT_EQ(registry.expose(),
            "# HELP active_calls Calls in progress.\n"
            "# TYPE active_calls gauge\n"
            "active_calls 2\n"
            "# HELP http_requests_total HTTP requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "http_requests_total{method=\"GET\",code=\"404\"} 0.5\n"
            "http_requests_total{method=\"POST\",code=\"500\"} 1\n"
            "# HELP stt_latency_seconds Speech-to-text latency.\n"
            "# TYPE stt_latency_seconds histogram\n"
            "stt_latency_seconds_bucket{engine=\"whisper\",le=\"0.005\"} 1\n"
            "stt_latency_seconds_bucket{engine=\"whisper\",le=\"0.1\"} 3\n"
            "stt_latency_seconds_bucket{engine=\"whisper\",le=\"1\"} 3\n"
            "stt_latency_seconds_bucket{engine=\"whisper\",le=\"+Inf\"} 4\n"
            "stt_latency_seconds_sum{engine=\"whisper\"} 2.153\n"
            "stt_latency_seconds_count{engine=\"whisper\"} 4\n");
}

TEST(MetricsExposition, UnlabelledMetricsAreExposedAsZeroBeforeFirstUse) {
  Registry registry;
  registry.counter("calls_total", "Calls.");
  registry.histogram("turn_seconds", "Turn latency.", {}, {1});
  registry.counter("failures_total", "Failures by reason.", {"reason"});

  EXPECT_EQ(registry.expose(),
            "# HELP calls_total Calls.\n"
            "# TYPE calls_total counter\n"
            "calls_total 0\n"
            "# HELP failures_total Failures by reason.\n"
            "# TYPE failures_total counter\n"
            "# HELP turn_seconds Turn latency.\n"
            "# TYPE turn_seconds histogram\n"
            "turn_seconds_bucket{le=\"1\"} 0\n"
            "turn_seconds_bucket{le=\"+Inf\"} 0\n"
            "turn_seconds_sum 0\n"
            "turn_seconds_count 0\n");
}

TEST(MetricsExposition, HelpAndLabelValuesAreEscaped) {
  Registry registry;
  registry.gauge("g", "first line\nsecond \\ line \"quoted\"", {"path"}).with({"a\"b\\c\nd"}).set(1);

  EXPECT_EQ(registry.expose(),
            "# HELP g first line\\nsecond \\\\ line \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsExposition, NumbersAreIntegersWhenExactOtherwiseShortestRoundTrip) {
  Registry registry;
  registry.gauge("a_big", "").get().set(1e15);
  registry.gauge("b_negative", "").get().set(-42);
  registry.gauge("c_small", "").get().set(0.000025);
  registry.gauge("d_inf", "").get().set(std::numeric_limits<double>::infinity());
  registry.gauge("e_minus_inf", "").get().set(-std::numeric_limits<double>::infinity());
  registry.gauge("f_nan", "").get().set(std::numeric_limits<double>::quiet_NaN());
  registry.gauge("g_huge", "").get().set(1e300);

  std::istringstream lines(registry.expose());
  std::map<std::string, std::string> samples;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) continue;
    const auto space = line.find(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  EXPECT_EQ(samples["a_big"], "1000000000000000");
  EXPECT_EQ(samples["b_negative"], "-42");
  EXPECT_EQ(samples["c_small"], "2.5e-05");
  EXPECT_EQ(samples["d_inf"], "+Inf");
  EXPECT_EQ(samples["e_minus_inf"], "-Inf");
  EXPECT_EQ(samples["f_nan"], "NaN");
  EXPECT_EQ(std::stod(samples["g_huge"]), 1e300);
}

TEST(MetricsExposition, CollectorsAreAppendedAfterFamilies) {
  Registry registry;
  registry.add_collector([](std::string& out) { out += "# TYPE custom gauge\ncustom 7\n"; });
  registry.counter("z_total", "Z.").get().inc(2);

  EXPECT_EQ(registry.expose(),
            "# HELP z_total Z.\n# TYPE z_total counter\nz_total 2\n# TYPE custom gauge\ncustom 7\n");
}

TEST(MetricsExposition, BuildInfoIsOneWithVersionLabel) {
  Registry registry;
  va::metrics::register_build_info(registry, "1.2.3");
  EXPECT_NE(registry.expose().find("voice_agent_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
}

TEST(HistogramBuckets, BoundsAreInclusiveAndCountsCumulative) {
  va::metrics::Histogram histogram({1, 2, 5});
  for (const double v : {0.5, 1.0, 1.5, 2.0, 2.0, 4.9, 5.0, 5.1, 100.0, -3.0}) histogram.observe(v);
  histogram.observe(std::numeric_limits<double>::quiet_NaN());  // ignored

  const auto snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.upper_bounds, (std::vector<double>{1, 2, 5}));
  // <=1: 0.5 1.0 -3.0 | <=2: +1.5 2.0 2.0 | <=5: +4.9 5.0 | +Inf: +5.1 100
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<std::uint64_t>{3, 6, 8, 10}));
  EXPECT_EQ(snapshot.count, 10u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 0.5 + 1.0 + 1.5 + 2.0 + 2.0 + 4.9 + 5.0 + 5.1 + 100.0 - 3.0);
}

TEST(HistogramBuckets, InvalidBoundsAreRejectedAndTrailingInfIsImplied) {
  EXPECT_THROW(va::metrics::Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(va::metrics::Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(va::metrics::Histogram({std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  Registry registry;
  EXPECT_THROW(registry.histogram("h", "", {}, {3, 2}), std::invalid_argument);

  va::metrics::Histogram with_inf({1, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(with_inf.snapshot().upper_bounds, std::vector<double>{1});
}

TEST(HistogramBuckets, DefaultLatencyBucketsSpanHalfAMillisecondToTenSeconds) {
  const auto buckets = va::metrics::default_latency_buckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0005);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
  EXPECT_NO_THROW(va::metrics::Histogram{buckets});
}

TEST(MetricValues, CounterOnlyGoesUpAndGaugeMovesBothWays) {
  va::metrics::Counter counter;
  counter.inc();
  counter.inc(2.5);
  counter.inc(-10);
  counter.inc(std::numeric_limits<double>::quiet_NaN());
  EXPECT_DOUBLE_EQ(counter.value(), 3.5);

  va::metrics::Gauge gauge;
  gauge.inc(5);
  gauge.dec(2);
  gauge.dec();
  EXPECT_DOUBLE_EQ(gauge.value(), 2);
  gauge.set(-7.5);
  EXPECT_DOUBLE_EQ(gauge.value(), -7.5);
}

TEST(MetricValues, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  auto& counter = registry.counter("events_total", "Events.", {"kind"});
  auto& histogram = registry.histogram("sizes", "Sizes.", {}, {10});
  constexpr int kThreads = 8;
  constexpr int kIncrements = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Each thread also looks the child up, exercising concurrent creation of the same child.
      auto& child = counter.with({"rtp"});
      auto& sizes = histogram.get();
      for (int i = 0; i < kIncrements; ++i) {
        child.inc();
        sizes.observe(i % 20);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(counter.with({"rtp"}).value(), kThreads * kIncrements);
  const auto snapshot = histogram.get().snapshot();
  EXPECT_EQ(snapshot.count, static_cast<std::uint64_t>(kThreads * kIncrements));
  EXPECT_EQ(snapshot.cumulative_counts[0], static_cast<std::uint64_t>(kThreads * kIncrements * 11 / 20));
  EXPECT_DOUBLE_EQ(snapshot.sum, kThreads * (kIncrements / 20) * 190.0);
}

TEST(MetricRegistration, SameNameReturnsTheSameFamily) {
  Registry registry;
  auto& first = registry.counter("calls_total", "Calls.", {"direction"});
  auto& second = registry.counter("calls_total", "Calls (again).", {"direction"});
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(&first.with({"inbound"}), &second.with({"inbound"}));
}

TEST(MetricRegistration, ProgrammingErrorsThrowLogicError) {
  Registry registry;
  registry.counter("calls_total", "Calls.", {"direction"});
  EXPECT_THROW(registry.counter("calls_total", "Calls.", {"trunk"}), std::logic_error);
  EXPECT_THROW(registry.counter("calls_total", "Calls."), std::logic_error);
  EXPECT_THROW(registry.gauge("calls_total", "Calls."), std::logic_error);
  EXPECT_THROW(registry.histogram("calls_total", "Calls."), std::logic_error);
  EXPECT_THROW(registry.counter("9lives", "bad name"), std::logic_error);
  EXPECT_THROW(registry.counter("has-dash", "bad name"), std::logic_error);
  EXPECT_THROW(registry.gauge("g", "bad label", {"bad-label"}), std::logic_error);
  EXPECT_THROW(registry.gauge("g2", "reserved label", {"__name"}), std::logic_error);
  EXPECT_THROW(registry.histogram("h", "le is the bucket label", {"le"}), std::logic_error);
  EXPECT_NO_THROW(registry.gauge("voice:agent_ratio", "colons are allowed in names"));

  auto& family = registry.counter("calls_total", "Calls.", {"direction"});
  EXPECT_THROW(family.with({}), std::logic_error);
  EXPECT_THROW(family.with({"inbound", "extra"}), std::logic_error);
}

// Parses "name value" sample lines (no labels) of the exposition.
std::map<std::string, double> unlabelled_samples(const std::string& exposition) {
  std::map<std::string, double> samples;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#' || line.find('{') != std::string::npos) continue;
    const auto space = line.find(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(ProcessMetrics, AllStandardMetricsArePresentAndPlausible) {
  Registry registry;
  va::metrics::register_process_metrics(registry);
  const std::string exposition = registry.expose();
  const auto samples = unlabelled_samples(exposition);

  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
        "process_open_fds", "process_max_fds", "process_start_time_seconds", "voice_agent_uptime_seconds"}) {
    ASSERT_TRUE(samples.contains(name)) << name << " missing from:\n" << exposition;
  }
  EXPECT_NE(exposition.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(exposition.find("# TYPE process_open_fds gauge\n"), std::string::npos);

  EXPECT_GE(samples.at("process_cpu_seconds_total"), 0);
  EXPECT_GT(samples.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(samples.at("process_virtual_memory_bytes"), samples.at("process_resident_memory_bytes"));
  EXPECT_GE(samples.at("process_open_fds"), 3);  // stdin, stdout, stderr
  EXPECT_LE(samples.at("process_open_fds"), samples.at("process_max_fds"));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(samples.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(samples.at("process_start_time_seconds"), now - 3600);  // this test binary started recently
  EXPECT_GE(samples.at("voice_agent_uptime_seconds"), 0);
  EXPECT_LT(samples.at("voice_agent_uptime_seconds"), 60);
}

TEST(ProcessMetrics, OpenFileDescriptorsFollowTheProcess) {
  Registry registry;
  va::metrics::register_process_metrics(registry);
  const double before = unlabelled_samples(registry.expose()).at("process_open_fds");

  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const double during = unlabelled_samples(registry.expose()).at("process_open_fds");
  for (const int fd : fds) ::close(fd);

  EXPECT_EQ(during - before, 10);
}

}  // namespace
