// The names of alerts.h's enums, for JSON and the CLI.
#include <array>
#include <string_view>
#include <utility>

#include "tocsin/alerts.h"

namespace tocsin {
namespace {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, const char*>, N>;

constexpr NameTable<MemberRole, 5> kRoles{{{MemberRole::kDispatcher, "dispatcher"},
                                           {MemberRole::kCoordinator, "coordinator"},
                                           {MemberRole::kVerifier, "verifier"},
                                           {MemberRole::kResponder, "responder"},
                                           {MemberRole::kSubscriber, "subscriber"}}};
constexpr NameTable<LifecycleType, 5> kTypes{{{LifecycleType::kAlert, "alert"},
                                              {LifecycleType::kUpdate, "update"},
                                              {LifecycleType::kAllClear, "all_clear"},
                                              {LifecycleType::kCancel, "cancel"},
                                              {LifecycleType::kVerifyRequest, "verify_request"}}};
constexpr NameTable<AlertMode, 3> kModes{{{AlertMode::kActual, "actual"},
                                          {AlertMode::kExercise, "exercise"},
                                          {AlertMode::kTest, "test"}}};
constexpr NameTable<Severity, 4> kSeverities{{{Severity::kExtreme, "extreme"},
                                              {Severity::kSevere, "severe"},
                                              {Severity::kModerate, "moderate"},
                                              {Severity::kMinor, "minor"}}};
constexpr NameTable<Certainty, 4> kCertainties{{{Certainty::kUnknown, "unknown"},
                                                {Certainty::kObserved, "observed"},
                                                {Certainty::kLikely, "likely"},
                                                {Certainty::kPossible, "possible"}}};
constexpr NameTable<AckKind, 6> kAcks{{{AckKind::kReceived, "received"},
                                       {AckKind::kResponding, "responding"},
                                       {AckKind::kAvailableFar, "available_far"},
                                       {AckKind::kDeclined, "declined"},
                                       {AckKind::kOnScene, "on_scene"},
                                       {AckKind::kDeparted, "departed"}}};
constexpr NameTable<VerifyOutcome, 4> kOutcomes{{{VerifyOutcome::kConfirmed, "confirmed"},
                                                 {VerifyOutcome::kFalseAlarm, "false_alarm"},
                                                 {VerifyOutcome::kUnable, "unable"},
                                                 {VerifyOutcome::kOnMyWay, "on_my_way"}}};
constexpr NameTable<AlertState, 10> kStates{{{AlertState::kReported, "reported"},
                                             {AlertState::kVerifying, "verifying"},
                                             {AlertState::kConfirmed, "confirmed"},
                                             {AlertState::kUnable, "unable"},
                                             {AlertState::kDispatched, "dispatched"},
                                             {AlertState::kEscalated, "escalated"},
                                             {AlertState::kUpdated, "updated"},
                                             {AlertState::kAllClear, "all_clear"},
                                             {AlertState::kCancelled, "cancelled"},
                                             {AlertState::kExpired, "expired"}}};

template <typename E, std::size_t N>
const char* NameOf(const NameTable<E, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> ValueOf(const NameTable<E, N>& table, std::string_view text) {
  for (const auto& [e, name] : table) {
    if (text == name) return e;
  }
  return std::nullopt;
}

}  // namespace

bool IsResolved(AlertState state) {
  return state == AlertState::kAllClear || state == AlertState::kCancelled ||
         state == AlertState::kExpired;
}

const char* ToString(MemberRole role) { return NameOf(kRoles, role); }
const char* ToString(LifecycleType type) { return NameOf(kTypes, type); }
const char* ToString(AlertMode mode) { return NameOf(kModes, mode); }
const char* ToString(Severity severity) { return NameOf(kSeverities, severity); }
const char* ToString(Certainty certainty) { return NameOf(kCertainties, certainty); }
const char* ToString(AckKind kind) { return NameOf(kAcks, kind); }
const char* ToString(VerifyOutcome outcome) { return NameOf(kOutcomes, outcome); }
const char* ToString(AlertState state) { return NameOf(kStates, state); }

std::optional<MemberRole> ParseMemberRole(std::string_view text) { return ValueOf(kRoles, text); }
std::optional<AlertMode> ParseAlertMode(std::string_view text) { return ValueOf(kModes, text); }
std::optional<Severity> ParseSeverity(std::string_view text) { return ValueOf(kSeverities, text); }
std::optional<Certainty> ParseCertainty(std::string_view text) {
  return ValueOf(kCertainties, text);
}
std::optional<AckKind> ParseAckKind(std::string_view text) { return ValueOf(kAcks, text); }
std::optional<VerifyOutcome> ParseVerifyOutcome(std::string_view text) {
  return ValueOf(kOutcomes, text);
}

}  // namespace tocsin
