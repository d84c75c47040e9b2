#include "fake_net.h"

#include <algorithm>

#include "core/hex.h"
#include "crypto/signal_xeddsa.h"

namespace tocsin::testing {
namespace {

constexpr std::string_view kCardPrefix = "TESTCARD:";

}  // namespace

FakePort::FakePort(FakeNet& net, std::uint8_t seed)
    : net_(net), rng_(seed), pair_(crypto::X25519KeyPair::Generate(rng_)) {
  key_ = core::ToString(pair_.public_key());
}

std::uint64_t FakePort::NowMs() {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(net_.clock.now_ms) + clock_skew_ms);
}

std::string FakePort::RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  rng_.Fill({reinterpret_cast<std::uint8_t*>(out.data()), n});
  return out;
}

Result<std::string> FakePort::Sign(std::string_view message) {
  auto signature = crypto::XeddsaSign(*net_.signal, pair_, core::Bytes(message));
  if (!signature.ok()) return signature.status();
  return core::ToString(*signature);
}

Status FakePort::Verify(std::string_view key, std::string_view message,
                        std::string_view signature) {
  if (key.size() != 32) return Status(Code::kCryptoFailure, "not a key");
  const crypto::PublicKeyView view(reinterpret_cast<const std::uint8_t*>(key.data()), 32);
  return crypto::XeddsaVerify(*net_.signal, view, core::Bytes(message), core::Bytes(signature));
}

// TESTCARD:<key hex>[:<rotations>]: a rotation makes a new card, as new tokens would.
Result<std::string> FakePort::MyCard(const std::string&, bool rotate) {
  if (rotate) ++rotations;
  std::string card = std::string(kCardPrefix) + core::ToHex(key_);
  if (rotations > 0) {
    card.push_back(':');
    card.append(std::to_string(rotations));
  }
  return card;
}

Status FakePort::Introduce(const tree::MemberEntry& entry) {
  cards[entry.identity_key()] = entry.card();
  return Status::Ok();
}

Result<std::string> FakePort::KeyOfCard(std::string_view card) {
  if (card.rfind(kCardPrefix, 0) != 0) return Status(Code::kInvalidArgument, "not a card");
  auto key = core::FromHex(card.substr(kCardPrefix.size(), 64), 32);
  if (!key) return Status(Code::kInvalidArgument, "not a card");
  return *key;
}

Status FakePort::Forget(const std::string& key) {
  forgotten.insert(key);
  for (auto& [group, senders] : joined) senders.erase(key);  // out of groups, as the client
  return Status::Ok();
}

Status FakePort::SendTo(const std::string& key, const std::string& payload, std::uint64_t) {
  net_.queue_.push_back({key_, key, "", payload});
  return Status::Ok();
}

Status FakePort::SendToGroup(const std::string& group_id, const std::string& payload,
                             std::uint64_t) {
  auto it = net_.groups_.find(group_id);
  if (it == net_.groups_.end()) return Status(Code::kNotFound, "no such group");
  for (const auto& member : it->second) net_.queue_.push_back({key_, member, group_id, payload});
  return Status::Ok();
}

Result<std::string> FakePort::CreateGroup(const std::string&,
                                          const std::vector<std::string>& members) {
  const std::string id = RandomBytes(16);
  net_.groups_[id] = members;
  made.insert(id);
  return id;
}

Status FakePort::SetGroupMembers(const std::string& group_id,
                                 const std::vector<std::string>& members) {
  net_.groups_[group_id] = members;
  return Status::Ok();
}

Status FakePort::JoinGroup(const std::string& group_id, const std::string&,
                           const std::vector<std::string>& senders) {
  joined[group_id].insert(senders.begin(), senders.end());  // added to, as the client does
  return Status::Ok();
}

Result<bool> FakePort::HasGroup(const std::string& group_id) {
  return made.count(group_id) != 0 || joined.count(group_id) != 0;
}

void FakePort::TakeRemoval(const std::string& sender, const app::GroupRemoval& removal) {
  auto accepted = joined.find(removal.group_id());
  if (accepted == joined.end() || accepted->second.count(sender) == 0) return;
  if (made.count(removal.group_id()) == 0) return;
  auto& members = net_.groups_[removal.group_id()];
  for (const auto& key : removal.identity_keys()) {
    members.erase(std::remove(members.begin(), members.end(), key), members.end());
  }
}

Status FakePort::SaveTree(const tree::TreeRecord& record) {
  trees[record.tree_id()] = record;
  return Status::Ok();
}

Status FakePort::SaveAlert(tree::AlertRecord& record) {
  if (record.row_seq() == 0) record.set_row_seq(alerts.size() + 1);
  alerts[record.alert_id()] = record;
  return Status::Ok();
}

Status FakePort::DeleteAlert(const tree::AlertRecord& record) {
  alerts.erase(record.alert_id());
  return Status::Ok();
}

Result<std::vector<tree::TreeRecord>> FakePort::LoadTrees() {
  std::vector<tree::TreeRecord> out;
  for (const auto& [id, record] : trees) out.push_back(record);
  return out;
}

Result<std::vector<tree::AlertRecord>> FakePort::LoadAlerts() {
  std::vector<tree::AlertRecord> out;
  for (const auto& [id, record] : alerts) out.push_back(record);
  return out;
}

std::string Device::hex() const { return core::ToHex(key()); }
std::string Device::card() const { return *port->MyCard(name, false); }

std::size_t Device::Count(AlertEventKind kind) const {
  std::size_t n = 0;
  for (const auto& event : events) n += event.kind == kind ? 1 : 0;
  return n;
}

const AlertEvent* Device::Last(AlertEventKind kind) const {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

FakeNet::FakeNet() {
  auto context = crypto::SignalContext::Create();
  REQUIRE(context.ok());
  signal = *context;
}

Device& FakeNet::Add(const std::string& name) {
  auto device = std::make_unique<Device>();
  Device* raw = device.get();
  raw->name = name;
  raw->port = std::make_unique<FakePort>(*this, next_seed_++);
  raw->logic = std::make_unique<alerts::AlertLogic>(
      *raw->port, [raw](AlertEvent event) { raw->events.push_back(std::move(event)); });
  by_key_[raw->key()] = raw;
  devices_.push_back(std::move(device));
  return *raw;
}

void FakeNet::SetOffline(const std::string& key, bool offline) {
  if (offline) {
    offline_.insert(key);
  } else {
    offline_.erase(key);
  }
}

std::vector<app::Payload> FakeNet::Lost(const std::string& key) const {
  std::vector<app::Payload> out;
  for (const auto& message : lost_) {
    if (message.to != key) continue;
    REQUIRE(out.emplace_back().ParseFromString(message.payload));
  }
  return out;
}

void FakeNet::Inject(const std::string& from, const std::string& to, const app::Payload& payload) {
  queue_.push_back({from, to, "", payload.SerializeAsString()});
}

std::size_t FakeNet::Deliver() {
  std::size_t delivered = 0;
  while (!queue_.empty()) {
    Message message = std::move(queue_.front());
    queue_.pop_front();
    auto it = by_key_.find(message.to);
    if (offline_.count(message.to) != 0) lost_.push_back(message);
    if (it == by_key_.end() || offline_.count(message.to) != 0) continue;
    // A receiver that revoked the sender's tokens never gets its messages.
    if (it->second->port->forgotten.count(message.from) != 0) continue;
    app::Payload payload;
    REQUIRE(payload.ParseFromString(message.payload));
    if (payload.has_member_card()) ++it->second->port->member_cards_from[message.from];
    if (payload.has_group_removal()) {  // the client's groups take it, not the alert logic
      it->second->port->TakeRemoval(message.from, payload.group_removal());
      ++delivered;
      continue;
    }
    // As the client does with the offsets its relay links measured (SPEC.md 14.10): the
    // relays keep the network's time, each device's offset is minus its skew.
    auto from = by_key_.find(message.from);
    const std::int64_t sender_offset =
        from == by_key_.end() ? 0 : -from->second->port->clock_skew_ms;
    const std::int64_t correction =
        core::ClockCorrectionMs(sender_offset, -it->second->port->clock_skew_ms);
    auto status = it->second->logic->OnPayload(message.from, message.group, payload, correction);
    INFO(status.ToString());
    REQUIRE(status.ok());
    ++delivered;
  }
  return delivered;
}

}  // namespace tocsin::testing
