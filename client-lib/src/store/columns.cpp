#include "store/columns.h"

namespace tocsin::store {
namespace {

void PutBigEndian(std::uint64_t value, std::size_t width, std::uint8_t* out) {
  for (std::size_t i = 0; i < width; ++i) {
    out[width - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

std::uint64_t GetBigEndian(const std::uint8_t* in, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value = (value << 8) | in[i];
  return value;
}

}  // namespace

ColumnKind KindOf(Column column) {
  switch (column) {
    case Column::kOutbox:
    case Column::kPending:
      return ColumnKind::kSequence;
    case Column::kAlerts:
      return ColumnKind::kAlert;
    default:
      return ColumnKind::kNamed;
  }
}

std::string_view ColumnName(Column column) {
  switch (column) {
    case Column::kIdentity:
      return "identity";
    case Column::kSessions:
      return "sessions";
    case Column::kPreKeys:
      return "prekeys";
    case Column::kSignedPreKeys:
      return "signed_prekeys";
    case Column::kTrustedIdentities:
      return "trusted_identities";
    case Column::kSenderKeys:
      return "sender_keys";
    case Column::kContacts:
      return "contacts";
    case Column::kGroups:
      return "groups";
    case Column::kTrees:
      return "trees";
    case Column::kSeenIds:
      return "seen_ids";
    case Column::kOutbox:
      return "outbox";
    case Column::kPending:
      return "pending";
    case Column::kAlerts:
      return "alerts";
  }
  return "unknown";
}

std::vector<std::string> AllFamilyNames() {
  std::vector<std::string> names(kFamilyCount);
  names[0] = "default";
  for (Column column : kAllColumns) names[FamilyOf(column)] = std::string(ColumnName(column));
  names[kMetaFamily] = "meta";
  names[kDayKeysFamily] = "day_keys";
  return names;
}

std::array<std::uint8_t, kSequenceNameSize> SequenceName(std::uint64_t seq) {
  std::array<std::uint8_t, kSequenceNameSize> name{};
  PutBigEndian(seq, kSequenceNameSize, name.data());
  return name;
}

std::optional<std::uint64_t> ParseSequence(ByteView name) {
  if (name.size() != kSequenceNameSize) return std::nullopt;
  return GetBigEndian(name.data(), kSequenceNameSize);
}

std::array<std::uint8_t, 4> DayName(Day day) {
  std::array<std::uint8_t, 4> name{};
  PutBigEndian(day, 4, name.data());
  return name;
}

std::optional<Day> ParseDayName(ByteView name) {
  if (name.size() != 4) return std::nullopt;
  return static_cast<Day>(GetBigEndian(name.data(), 4));
}

std::array<std::uint8_t, kAlertNameSize> AlertName(AlertId id) {
  std::array<std::uint8_t, kAlertNameSize> name{};
  PutBigEndian(id.day, 4, name.data());
  PutBigEndian(id.seq, kSequenceNameSize, name.data() + 4);
  return name;
}

std::optional<AlertId> ParseAlertName(ByteView name) {
  if (name.size() != kAlertNameSize) return std::nullopt;
  return AlertId{static_cast<Day>(GetBigEndian(name.data(), 4)),
                 GetBigEndian(name.data() + 4, kSequenceNameSize)};
}

}  // namespace tocsin::store
