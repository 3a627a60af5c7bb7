#pragma once

#include <string>
#include <vector>

#include "pipeline/inbound_event.h"
#include "storage/database.h"

namespace baraza {

// One normalized channel event on its way into the inbox.
struct InboxEvent {
  std::string channel_type;  // "whatsapp"
  std::string account_id;    // the receiving number's phone_number_id
  std::string dedupe_key;    // unique per account: a redelivery is the same key
  std::string kind;          // message, status, error
  std::string order_key;     // one contact's messages keep their order
  std::string payload;       // the event as JSON text
};

// An event whose work is over: "done" or "unrouted", with its tenant's slug ("" unrouted).
struct FinishedEvent {
  long long id = 0;
  std::string status, tenant_slug;
};

// The SQL of inbox_events. Claims are leases: held by this process (`owner`, a random id per
// start) until `lease_until`, renewed while the work runs (LeaseKeeper), and returned to
// 'pending' by reapExpired() once a dead process's leases run out.
class InboxStore {
 public:
  InboxStore(Database& db, std::string owner) : db_(db), owner_(std::move(owner)) {}

  const std::string& owner() const { return owner_; }

  // Inserts the events in one statement; a redelivered one (same channel, account and dedupe
  // key) is skipped.
  static void insert(TenantScope& tx, const std::vector<InboxEvent>& events, long long now_ms);

  // Claims up to `max` due events, oldest first, at most one per contact (an event waits while
  // an earlier one of its order key is unfinished), leased until `lease_until`; payloads not
  // parsed yet. FOR UPDATE SKIP LOCKED on PostgreSQL, so processes share the queue.
  std::vector<InboundEvent> claim(int max, long long now_ms, long long lease_until);
  // Moves the leases of `ids` still held by this process to `until`; returns those ids.
  std::vector<long long> renew(const std::vector<long long>& ids, long long until);
  // Returns expired leases to 'pending'; returns each event's id and the owner it had.
  std::vector<std::pair<long long, std::string>> reapExpired(long long now_ms);
  // The owners other than this process that hold leases now.
  std::vector<std::string> otherOwners();
  // Returns every lease `owner` holds to 'pending' (its process is gone); returns their ids.
  std::vector<long long> reclaimFrom(const std::string& owner);

  // Finishes events inside the caller's transaction; returns the ids that were still this
  // process's (a missing one was reclaimed by another: the caller must not commit its work).
  std::vector<long long> finish(TenantScope& tx, const std::vector<FinishedEvent>& events,
                                long long now_ms);
  // Puts a claimed event back to wait until `at_ms` without counting an attempt (debounce).
  bool postpone(TenantScope& tx, long long id, long long at_ms);
  // A failed event: retried at `next_ms`, or dead-lettered with its last error. Own transaction.
  void fail(long long id, bool dead, long long next_ms, const std::string& error);
  // Gives leases back at once (work abandoned without a failure: the batch lost a claim).
  void release(const std::vector<long long>& ids);
  // How many later events of `order_key` are unfinished (debounce: did the contact write again?)
  static long long laterEvents(TenantScope& tx, const std::string& order_key, long long id);

 private:
  Database& db_;
  std::string owner_;
};

}  // namespace baraza
