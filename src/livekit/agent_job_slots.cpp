#include "livekit/agent_job_slots.hpp"

#include <algorithm>

namespace va::livekit {

std::string_view to_string(Availability availability) {
  switch (availability) {
    case Availability::accepted:
      return "accepted";
    case Availability::full:
      return "full";
    case Availability::draining:
      return "draining";
  }
  return "unknown";
}

std::string_view to_string(Assignment assignment) {
  switch (assignment) {
    case Assignment::reserved:
      return "reserved";
    case Assignment::unreserved:
      return "unreserved";
    case Assignment::refused:
      return "refused";
    case Assignment::duplicate:
      return "duplicate";
  }
  return "unknown";
}

JobSlots::JobSlots(std::uint32_t capacity) : capacity_(std::max<std::uint32_t>(capacity, 1)) {}

Availability JobSlots::offer(const std::string& job_id, Clock::time_point expires_at) {
  if (draining_) return Availability::draining;
  if (running_.contains(job_id)) return Availability::accepted;
  if (auto it = reservations_.find(job_id); it != reservations_.end()) {
    it->second = expires_at;
    return Availability::accepted;
  }
  if (!has_room()) return Availability::full;
  reservations_.emplace(job_id, expires_at);
  return Availability::accepted;
}

Assignment JobSlots::assign(const std::string& job_id) {
  if (running_.contains(job_id)) return Assignment::duplicate;
  if (reservations_.erase(job_id) > 0) {
    running_.insert(job_id);
    return Assignment::reserved;
  }
  // A late assignment after the reservation expired: the server already counts the job as ours, so taking
  // it when there is room serves the caller; draining does not refuse it for the same reason.
  if (!has_room()) return Assignment::refused;
  running_.insert(job_id);
  return Assignment::unreserved;
}

bool JobSlots::finish(const std::string& job_id) {
  return running_.erase(job_id) > 0 || reservations_.erase(job_id) > 0;
}

std::vector<std::string> JobSlots::expire(Clock::time_point now) {
  std::vector<std::string> expired;
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (it->second <= now) {
      expired.push_back(it->first);
      it = reservations_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::optional<JobSlots::Clock::time_point> JobSlots::next_expiry() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [id, deadline] : reservations_) {
    if (!earliest || deadline < *earliest) earliest = deadline;
  }
  return earliest;
}

void JobSlots::drop_reservations() {
  reservations_.clear();
}

bool JobSlots::is_running(const std::string& job_id) const {
  return running_.contains(job_id);
}

bool JobSlots::holds(const std::string& job_id) const {
  return running_.contains(job_id) || reservations_.contains(job_id);
}

std::vector<std::string> JobSlots::running_jobs() const {
  return {running_.begin(), running_.end()};
}

WorkerLoad JobSlots::load() const {
  WorkerLoad l;
  l.draining = draining_;
  l.full = draining_ || !has_room();
  l.load = std::min(1.0f, static_cast<float>(held()) / static_cast<float>(capacity_));
  l.job_count = running();
  return l;
}

}  // namespace va::livekit
