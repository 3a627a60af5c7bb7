#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/clock.h"
#include "pipeline/inbound_event.h"

namespace baraza {

// What the inbox writer may hand over with the batch it is about to insert: `room` events at
// most, their queue rows leased to `owner` until `lease_until` (room 0: hand nothing).
struct HandoffGrant {
  size_t room = 0;
  std::string owner;
  long long lease_until = 0;
};

// Stored events handed from the inbox writer to this process's inbox workers, so the workers
// skip the claim (docs/pipeline.md, "Handoff"). The writer inserts an event's queue row already
// leased to this process when its contact has no other unfinished event, and after the commit
// puts it here; a worker takes it as if it had claimed it. Room is given only while the pipeline
// runs and its workers are caught up (their last claim found less than it asked for), and at
// most `capacity` events wait here: a backlog stays in the database, where claims take it in
// order. An event that waited here past half its lease is left for the lease keeper to return.
class EventHandoff {
 public:
  // The pipeline's side. Until open() (and after close()) the writer gets no room.
  void open(std::string owner, Clock clock, long long lease_ms, size_t capacity);
  // Stops handing; waits for the grants the writer holds to be settled, then returns the ids
  // of the events nobody took (their leases are this process's: the caller gives them back).
  std::vector<long long> close();

  // The writer's side: every grant with room is settled by one put(), with the events that went
  // in leased after the commit, or with none if the transaction failed (their rows rolled back).
  HandoffGrant grant();
  void put(const HandoffGrant& grant, std::vector<InboundEvent> events);

  // The workers' side: up to `max` handed events (oldest first), without the ones whose lease
  // is half gone.
  std::vector<InboundEvent> take(size_t max);
  size_t waiting();
  // What a worker's last claim said: whether due events may still be waiting in the database.
  void setBacklog(bool backlog);

 private:
  struct Handed {
    InboundEvent event;
    long long lease_until = 0;
  };

  std::mutex mutex_;
  std::condition_variable settled_;
  bool open_ = false;
  bool backlog_ = true;
  std::string owner_;
  Clock clock_;
  long long lease_ms_ = 0;
  size_t capacity_ = 0;
  size_t granted_ = 0;  // room given to grants not yet settled
  int grants_ = 0;      // grants not yet settled
  std::deque<Handed> waiting_;
};

}  // namespace baraza
