// Counters, gauges, histograms and the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#include "common/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace va::metrics {
namespace {

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. Label names: [a-zA-Z_][a-zA-Z0-9_]*, "__" prefix reserved.
bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void validate(std::string_view name, const std::vector<std::string>& labels, bool histogram) {
  if (!is_valid_name(name, true)) throw std::logic_error("invalid metric name '" + std::string(name) + "'");
  for (const std::string& label : labels) {
    if (!is_valid_name(label, false) || label.starts_with("__") || (histogram && label == "le")) {
      throw std::logic_error("invalid label name '" + label + "' for metric '" + std::string(name) + "'");
    }
  }
}

// Bucket upper bounds must be finite and strictly increasing; a trailing +Inf is implied and dropped.
std::vector<double> checked_bounds(std::vector<double> bounds) {
  while (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw std::invalid_argument("histogram bucket bounds must be finite and strictly increasing");
    }
  }
  return bounds;
}

// Integral values print without exponent or decimals ("3", "1000000"); others as the shortest text that
// reads back to the same double ("0.005", "2.5e-05").
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 32> buf{};
  constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53
  const auto result =
      (std::trunc(value) == value && std::fabs(value) < kExactIntegerLimit)
          ? std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<std::int64_t>(value))
          : std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

void append_number(std::string& out, std::uint64_t value) {
  out += std::to_string(value);
}

void append_help(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// name{a="x",b="y"} — or {…,le="0.5"} for a histogram bucket; no braces when there are no labels.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names, const LabelValues& values,
                   const std::string* le = nullptr) {
  out += name;
  out += suffix;
  if (label_names.empty() && le == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (le != nullptr) {
    if (!label_names.empty()) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

template <typename Value>
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names, const LabelValues& values, Value value,
                   const std::string* le = nullptr) {
  append_series(out, name, suffix, label_names, values, le);
  out += ' ';
  append_number(out, value);
  out += '\n';
}

void append_family(std::string& out, const Family<Counter>& family) {
  append_help(out, family.name(), family.help(), "counter");
  family.for_each([&](const LabelValues& values, const Counter& counter) {
    append_sample(out, family.name(), "", family.label_names(), values, counter.value());
  });
}

void append_family(std::string& out, const Family<Gauge>& family) {
  append_help(out, family.name(), family.help(), "gauge");
  family.for_each([&](const LabelValues& values, const Gauge& gauge) {
    append_sample(out, family.name(), "", family.label_names(), values, gauge.value());
  });
}

void append_family(std::string& out, const Family<Histogram>& family) {
  append_help(out, family.name(), family.help(), "histogram");
  family.for_each([&](const LabelValues& values, const Histogram& histogram) {
    const Histogram::Snapshot snapshot = histogram.snapshot();
    std::string le;
    for (std::size_t i = 0; i <= snapshot.upper_bounds.size(); ++i) {
      le.clear();
      if (i < snapshot.upper_bounds.size()) {
        append_number(le, snapshot.upper_bounds[i]);
      } else {
        le = "+Inf";
      }
      append_sample(out, family.name(), "_bucket", family.label_names(), values,
                    snapshot.cumulative_counts[i], &le);
    }
    append_sample(out, family.name(), "_sum", family.label_names(), values, snapshot.sum);
    append_sample(out, family.name(), "_count", family.label_names(), values, snapshot.count);
  });
}

template <typename Metric>
Family<Metric>& find_or_add(std::map<std::string, std::unique_ptr<Family<Metric>>, std::less<>>& families,
                            std::string_view name, std::string_view help, std::vector<std::string> labels,
                            std::function<std::unique_ptr<Metric>()> make) {
  if (const auto it = families.find(name); it != families.end()) {
    if (it->second->label_names() != labels) {
      throw std::logic_error("metric '" + std::string(name) + "' registered again with different labels");
    }
    return *it->second;
  }
  auto family = std::make_unique<Family<Metric>>(std::string(name), std::string(help), std::move(labels),
                                                 std::move(make));
  return *families.emplace(std::string(name), std::move(family)).first->second;
}

}  // namespace

void Counter::inc(double by) {
  // A counter only goes up; a negative or NaN step would make rate() report a reset.
  if (!(by >= 0)) return;
  value_.fetch_add(by, std::memory_order_relaxed);
}

double Counter::value() const {
  return value_.load(std::memory_order_relaxed);
}

void Gauge::set(double v) {
  value_.store(v, std::memory_order_relaxed);
}
void Gauge::inc(double by) {
  value_.fetch_add(by, std::memory_order_relaxed);
}
void Gauge::dec(double by) {
  value_.fetch_sub(by, std::memory_order_relaxed);
}
double Gauge::value() const {
  return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(checked_bounds(std::move(upper_bounds))),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;  // it would poison _sum and belongs to no bucket
  // Buckets are "less than or equal": the first bound >= v.
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = bounds_;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  snapshot.count = count_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::function<std::unique_ptr<Metric>()> make)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      make_(std::move(make)) {
  // A metric without labels is exposed (as 0) from the start, so dashboards see it before the first event.
  if (label_names_.empty()) children_.emplace(LabelValues{}, make_());
}

template <typename Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric '" + name_ + "' takes " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mutex_);
    if (const auto it = children_.find(values); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = children_.try_emplace(values);
  if (inserted) it->second = make_();
  return *it->second;
}

template <typename Metric>
void Family<Metric>::for_each(const std::function<void(const LabelValues&, const Metric&)>& fn) const {
  std::shared_lock lock(mutex_);
  for (const auto& [values, metric] : children_) fn(values, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(std::string_view name, std::string_view help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  validate(name, labels, false);
  if (gauges_.contains(name) || histograms_.contains(name)) {
    throw std::logic_error("metric '" + std::string(name) + "' is already registered with another type");
  }
  return find_or_add<Counter>(counters_, name, help, std::move(labels),
                              [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge(std::string_view name, std::string_view help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  validate(name, labels, false);
  if (counters_.contains(name) || histograms_.contains(name)) {
    throw std::logic_error("metric '" + std::string(name) + "' is already registered with another type");
  }
  return find_or_add<Gauge>(gauges_, name, help, std::move(labels), [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram(std::string_view name, std::string_view help,
                                       std::vector<std::string> labels, std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  validate(name, labels, true);
  if (counters_.contains(name) || gauges_.contains(name)) {
    throw std::logic_error("metric '" + std::string(name) + "' is already registered with another type");
  }
  // Checked here so that bad bounds fail at registration, not at the first observation.
  std::vector<double> bounds = checked_bounds(std::move(buckets));
  return find_or_add<Histogram>(histograms_, name, help, std::move(labels),
                                [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
}

void Registry::add_collector(std::function<void(std::string& out)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::expose() const {
  std::string out;
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    // Names are unique across the three maps, so sorting (name, renderer) pairs orders all families.
    std::vector<std::pair<std::string_view, std::function<void()>>> families;
    families.reserve(counters_.size() + gauges_.size() + histograms_.size());
    for (const auto& [name, family] : counters_)
      families.emplace_back(name, [&out, f = family.get()] { append_family(out, *f); });
    for (const auto& [name, family] : gauges_)
      families.emplace_back(name, [&out, f = family.get()] { append_family(out, *f); });
    for (const auto& [name, family] : histograms_)
      families.emplace_back(name, [&out, f = family.get()] { append_family(out, *f); });
    std::sort(families.begin(), families.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& family : families) family.second();
    collectors = collectors_;
  }
  // Outside the lock: a collector may use a registry itself.
  for (const auto& collector : collectors) collector(out);
  return out;
}

void register_build_info(Registry& registry, std::string_view version) {
  registry.gauge("voice_agent_build_info", "Build information; the value is always 1.", {"version"})
      .with({std::string(version)})
      .set(1);
}

}  // namespace va::metrics
