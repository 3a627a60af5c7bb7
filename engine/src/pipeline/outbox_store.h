#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/database.h"

namespace baraza {

// A send to queue: a reply (in_reply_to its inbound message: one reply each), a read receipt or
// an escalation notice.
struct OutboxEntry {
  std::string tenant_id, id, message_id, in_reply_to, account_id, recipient;
  std::string request;  // the channel's send request as JSON, without credentials
  bool leased = false;  // queued already leased (SendLease): handed to the dispatcher, not claimed
};

// The lease of sends queued leased: this process's owner id and the lease's end.
struct SendLease {
  std::string owner;
  long long until_ms = 0;
};

// A claimed send.
struct ClaimedSend {
  std::string tenant_id, id, message_id, account_id, recipient, request;
  int attempts = 0;
  std::string window_expires_at;  // its conversation's, "" for sends outside one
  long long due_ms = 0;           // when it was due (a claimed send's next_attempt_ms)
};

// What became of a claimed send, recorded with others in one transaction.
struct SendResult {
  enum class Kind {
    kSent,        // the channel took it: its message id is recorded, early statuses applied
    kPaced,       // not yet: back in the queue until `at_ms`, no attempt counted
    kRetry,       // failed for now: back in the queue until `at_ms`
    kSettled,     // over for good: dead or blocked_by_window, with its reason
    kNewRequest,  // sent again at once as `request` (the re-engagement template)
  };
  SendResult(ClaimedSend claimed, Kind what) : send(std::move(claimed)), kind(what) {}

  ClaimedSend send;
  Kind kind = Kind::kSent;
  bool receipt = false;        // a read receipt: no message row to update
  std::string channel_id;      // kSent: the channel's message id
  std::string account_number;  // kSent: the sending number (pending statuses are keyed on it)
  long long at_ms = 0;
  std::string outbox_status, message_status;  // kSettled
  std::string error, error_code;
  std::string request;  // kNewRequest
};

// The SQL of outbox_messages. Claims are leases held by this process (`owner`), renewed while
// the sends run, returned to 'pending' once a dead process's leases expire.
class OutboxStore {
 public:
  OutboxStore(Database& db, std::string owner) : db_(db), owner_(std::move(owner)) {}

  // Queues sends in one statement; returns the ids queued (a second reply to one message is
  // refused). Entries marked `leased` go in as claimed by `lease` (status 'sending', one
  // attempt), so no claim has to find them: the caller hands them to its dispatcher after the
  // commit (OutboxDispatcher::adopt).
  static std::set<std::string> enqueue(TenantScope& tx, const std::vector<OutboxEntry>& entries,
                                       long long now_ms, const SendLease& lease = {});

  const std::string& owner() const { return owner_; }

  // Claims up to `max` due sends, earliest first, with their conversation's window.
  std::vector<ClaimedSend> claim(int max, long long now_ms, long long lease_until);
  // Sends are named by (tenant_id, id).
  using Key = std::pair<std::string, std::string>;
  // Moves the leases of `keys` still held by this process to `until`; returns those keys.
  std::vector<Key> renew(const std::vector<Key>& keys, long long until);
  // Returns expired leases to 'pending'; returns each send's key and the owner it had.
  std::vector<std::pair<Key, std::string>> reapExpired(long long now_ms);
  // The owners other than this process that hold leases now.
  std::vector<std::string> otherOwners();
  // Returns every lease `owner` holds to 'pending' (its process is gone); returns their keys.
  std::vector<Key> reclaimFrom(const std::string& owner);

  // Records what became of sends, in one transaction; `stamp` is the message clock's time.
  void record(const std::vector<SendResult>& results, long long now_ms, const std::string& stamp);

 private:
  void recordSent(TenantScope& tx, const std::vector<const SendResult*>& sent, long long now_ms,
                  const std::string& stamp);
  void recordOne(TenantScope& tx, const SendResult& result, const std::string& stamp);

  Database& db_;
  std::string owner_;
};

}  // namespace baraza
