// How many calls an agent worker holds and whether it takes another (pure: no I/O, no clock of its own).
//
// LiveKit offers a job to a worker with an AvailabilityRequest; a worker that says yes gets the JobAssignment
// right after (the server waits up to 10 s for the answer, then sends the assignment at once). Between the
// two the job holds a *reservation*: it counts against capacity, so a burst of offers cannot overbook the
// worker, and it expires if the assignment never comes (the server gave the job to someone else or lost
// its connection), freeing the slot. Once assigned the job is *running* until the owner reports it finished.
//
// A worker at capacity, or draining, refuses offers and reports WS_FULL, so the server sends the job to
// another worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace va::livekit {

// The answer to one AvailabilityRequest.
enum class Availability { accepted, full, draining };
std::string_view to_string(Availability availability);

// What became of a JobAssignment.
enum class Assignment {
  reserved,    // the job we said yes to
  unreserved,  // not (or no longer) reserved, but there is room: taken anyway (the server counts it ours)
  refused,     // not reserved and no room: reported failed to the server
  duplicate,   // already running: ignored
};
std::string_view to_string(Assignment assignment);

// What UpdateWorkerStatus reports.
struct WorkerLoad {
  bool full = false;            // WS_FULL: at capacity or draining
  float load = 0;               // held / capacity, 0..1: the server weights its choice by 1 - load
  std::uint32_t job_count = 0;  // running jobs
  bool draining = false;
  friend bool operator==(const WorkerLoad&, const WorkerLoad&) = default;
};

class JobSlots {
 public:
  using Clock = std::chrono::steady_clock;

  explicit JobSlots(std::uint32_t capacity);

  // An AvailabilityRequest for `job_id`: reserves a slot until `expires_at` when there is room and the worker
  // is not draining. Offering a job that is already held accepts again without taking a second slot.
  Availability offer(const std::string& job_id, Clock::time_point expires_at);
  // A JobAssignment for `job_id`.
  Assignment assign(const std::string& job_id);
  // The owner finished the job (or gave up on it); false when the job was not held.
  bool finish(const std::string& job_id);
  // Removes the reservations whose assignment did not come by `now`; returns their job ids.
  std::vector<std::string> expire(Clock::time_point now);
  // The earliest reservation deadline, to arm a timer for expire().
  std::optional<Clock::time_point> next_expiry() const;
  // The connection to the server was lost: it forgets the jobs it offered us, so the reservations go.
  // Running jobs stay (their calls go on).
  void drop_reservations();

  void set_draining(bool draining) { draining_ = draining; }
  bool draining() const { return draining_; }

  bool is_running(const std::string& job_id) const;
  bool holds(const std::string& job_id) const;
  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t reserved() const { return static_cast<std::uint32_t>(reservations_.size()); }
  std::uint32_t running() const { return static_cast<std::uint32_t>(running_.size()); }
  std::uint32_t held() const { return reserved() + running(); }
  bool idle() const { return held() == 0; }
  std::vector<std::string> running_jobs() const;

  WorkerLoad load() const;

 private:
  bool has_room() const { return held() < capacity_; }

  std::uint32_t capacity_;
  bool draining_ = false;
  std::map<std::string, Clock::time_point> reservations_;  // job id → assignment deadline
  std::set<std::string> running_;
};

}  // namespace va::livekit
