#pragma once

#include <string>

namespace baraza {

// The pipeline's knobs (the pipeline.* keys of docs/configuration.md).
struct PipelineConfig {
  bool enabled = true;
  int workers = 4;                    // threads processing inbox events in batches
  int batch_size = 256;               // events a worker claims and processes in one transaction
  int batch_linger_ms = 50;           // after a partial batch, the worker's pause before its next
  int senders = 8;                    // threads making channel sends: sends in flight
  int waiting_workers = 8;            // threads running strategies that wait on the network (AI)
  int max_attempts = 5;               // then an event or a send is dead-lettered
  int retry_base_ms = 1000;           // backoff base, doubled per attempt, full jitter
  int retry_max_ms = 300000;          // backoff ceiling
  int lock_ms = 10000;                // a claim's lease, renewed while its work runs
  bool reclaim_from_the_gone = true;  // take a dead process's claims back before its leases end
  int poll_ms = 200;                  // how often idle workers look for due work
  int room_wait_ms = 1000;            // a worker's longest wait for the senders' room (0: none)
  int group_commit_linger_us = 500;
  bool sqlite_landing = true;   // SQLite: webhooks land in <file>.landing, then move in
  int store_timeout_ms = 5000;  // a webhook's wait for its commit; past it, 503
  int intake_late_ms = 1000;    // claimed work later than this holds new webhooks (0: never)
  int intake_hold_ms = 1000;    // the longest a webhook is held before it is stored anyway
  int per_number_rate = 80;     // sends per second per phone number (Meta's default)
  int pair_interval_ms = 1000;  // minimum gap between two sends to one recipient
  bool shared_pacing = true;    // per_number_rate is one budget for every engine on the database
  std::string default_tenant;   // slug for events to an unknown number ("": unrouted)
};

}  // namespace baraza
