// Prometheus metrics: counters, gauges and histograms with labels, and the text exposition format 0.0.4.
//
// Hot paths hold a reference to a labelled child (Counter&, Histogram&) obtained once; updates are lock-free
// atomics. Looking a child up by label values takes a shared lock; creating one takes an exclusive lock.
// Children live as long as their family (references stay valid).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace va::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(double by = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v);
  void inc(double by = 1.0);
  void dec(double by = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative; last is +Inf
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

// Default latency buckets in seconds, 0.5 ms … 10 s.
std::vector<double> default_latency_buckets();

template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make);

  // Returns the child for these label values (one per label name), creating it on first use.
  Metric& with(const LabelValues& values);
  Metric& get() { return with({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label values, metric) for each child in label order.
  void for_each(const std::function<void(const LabelValues&, const Metric&)>& fn) const;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  // Registering the same name twice returns the existing family (label names must match; otherwise throws
  // std::logic_error — that is a programming error).
  Family<Counter>& counter(std::string_view name, std::string_view help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string_view name, std::string_view help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string_view name, std::string_view help,
                               std::vector<std::string> labels = {},
                               std::vector<double> buckets = default_latency_buckets());

  // A collector appends complete exposition text (HELP/TYPE/samples) for values computed at scrape time,
  // e.g. process CPU/RSS/fds.
  void add_collector(std::function<void(std::string& out)> collector);

  // Renders all families and collectors in the Prometheus text format, version 0.0.4.
  std::string expose() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family<Counter>>, std::less<>> counters_;
  std::map<std::string, std::unique_ptr<Family<Gauge>>, std::less<>> gauges_;
  std::map<std::string, std::unique_ptr<Family<Histogram>>, std::less<>> histograms_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds, voice_agent_uptime_seconds (read from /proc at scrape time).
void register_process_metrics(Registry& registry);

// voice_agent_build_info{version="..."} 1
void register_build_info(Registry& registry, std::string_view version);

}  // namespace va::metrics
