#include "queues/design_registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qlab {
namespace {

const ParamSpec* spec(const DesignInfo& info, const std::string& name) {
  for (const ParamSpec& p : info.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(DesignRegistry, lists_the_designs_in_a_stable_order) {
  std::vector<std::string> names;
  for (const DesignInfo& info : designs()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"pull", "preassigned", "visibility_timeout", "replicated", "push", "power_of_d",
                                             "jsq", "work_stealing", "fifo_groups", "partitioned",
                                             "share_group"}));
  for (const DesignInfo& info : designs()) {
    EXPECT_FALSE(info.summary.empty()) << info.name;
    for (const ParamSpec& p : info.params) EXPECT_FALSE(p.doc.empty()) << info.name << "." << p.name;
  }
}

TEST(DesignRegistry, find_design_returns_null_for_an_unknown_name) {
  EXPECT_EQ(find_design("kafka"), nullptr);
  ASSERT_NE(find_design("pull"), nullptr);
  EXPECT_EQ(find_design("pull")->name, "pull");
}

TEST(DesignRegistry, only_visibility_timeout_keeps_messages_until_acked) {
  EXPECT_FALSE(find_design("pull")->keeps_until_ack);
  EXPECT_FALSE(find_design("preassigned")->keeps_until_ack);
  EXPECT_TRUE(find_design("visibility_timeout")->keeps_until_ack);
}

TEST(DesignRegistry, with_defaults_fills_in_missing_parameters_and_keeps_given_ones) {
  const DesignInfo& info = *find_design("visibility_timeout");
  const DesignParams params = with_defaults(info, {{"max_receives", std::int64_t{3}}});
  EXPECT_EQ(std::get<std::int64_t>(params.at("max_receives")), 3);
  EXPECT_EQ(std::get<std::int64_t>(params.at("visibility_timeout")), 30 * kSecond);
  EXPECT_EQ(std::get<std::string>(params.at("stale_ack")), "reject");
  EXPECT_EQ(std::get<bool>(params.at("release_on_disconnect")), false);
  EXPECT_EQ(std::get<std::int64_t>(params.at("redelivery_delay")), 0);
  EXPECT_EQ(std::get<std::int64_t>(params.at("max_length")), 0);
  EXPECT_EQ(std::get<std::string>(params.at("overflow")), "reject_publish");
  EXPECT_EQ(params.size(), 12u);  // 4 of its own, 3 of redelivery backoff, 5 queue limits
}

TEST(DesignRegistry, parameters_declare_types_choices_and_minimums) {
  const DesignInfo& vt = *find_design("visibility_timeout");
  ASSERT_NE(spec(vt, "visibility_timeout"), nullptr);
  EXPECT_EQ(spec(vt, "visibility_timeout")->type, ParamSpec::Type::duration);
  EXPECT_EQ(spec(vt, "visibility_timeout")->min, 1);
  EXPECT_EQ(spec(vt, "max_receives")->type, ParamSpec::Type::count);
  EXPECT_EQ(spec(vt, "max_receives")->min, 0);
  EXPECT_EQ(spec(vt, "stale_ack")->choices, (std::vector<std::string>{"reject", "ignore"}));
  EXPECT_EQ(spec(vt, "release_on_disconnect")->type, ParamSpec::Type::flag);
  const DesignInfo& pre = *find_design("preassigned");
  EXPECT_EQ(spec(pre, "assignment")->choices, (std::vector<std::string>{"round_robin", "random", "hash"}));
  EXPECT_EQ(std::get<std::string>(spec(pre, "assignment")->default_value), "round_robin");
  // pull has no parameters of its own: only the queue limits every design takes, with head access.
  std::vector<std::string> pull_params;
  for (const ParamSpec& p : find_design("pull")->params) pull_params.push_back(p.name);
  EXPECT_EQ(pull_params, (std::vector<std::string>{"max_length", "max_bytes", "overflow", "ttl", "discarded"}));
  EXPECT_EQ(spec(*find_design("pull"), "overflow")->choices, (std::vector<std::string>{"reject_publish", "drop_head"}));
  EXPECT_EQ(spec(pre, "overflow")->choices, (std::vector<std::string>{"reject_publish"}));
  EXPECT_EQ(spec(pre, "max_bytes"), nullptr);
  EXPECT_EQ(spec(*find_design("partitioned"), "ttl"), nullptr);
}

TEST(DesignRegistry, every_choice_default_is_one_of_its_choices) {
  for (const DesignInfo& info : designs()) {
    for (const ParamSpec& p : info.params) {
      if (p.type != ParamSpec::Type::choice) continue;
      const auto& value = std::get<std::string>(p.default_value);
      EXPECT_NE(std::find(p.choices.begin(), p.choices.end(), value), p.choices.end()) << p.name;
    }
  }
}

// forgets_settled says what a design's oldest_referable() answers: 0 (cannot tell) exactly when it is false.
TEST(DesignRegistry, forgets_settled_matches_what_the_design_answers) {
  for (const DesignInfo& info : designs()) {
    const auto design = info.make(with_defaults(info, {}), RandomStream(1));
    EXPECT_EQ(design->oldest_referable() != 0, info.forgets_settled) << info.name;
  }
}

TEST(DesignRegistry, factories_honour_their_parameters) {
  const DesignInfo& info = *find_design("visibility_timeout");
  auto design = info.make(with_defaults(info, {{"visibility_timeout", std::int64_t{5 * kSecond}},
                                                {"stale_ack", std::string("ignore")}}),
                          RandomStream(1));
  ActionBuffer out;
  design->on_pull(0, 0, 1, out);
  design->on_publish(0, Message{1, 0, 0, 10}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(design->next_deadline(), 5 * kSecond);
  const Receipt receipt = out[0].receipt;
  design->on_ack(0, 0, receipt, out);
  design->on_ack(0, 0, receipt, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].kind, ActionKind::ack_ignored);

  const DesignInfo& pre = *find_design("preassigned");
  for (const std::string& choice : spec(pre, "assignment")->choices) {
    auto made = pre.make(with_defaults(pre, {{"assignment", choice}}), RandomStream(1));
    ASSERT_NE(made, nullptr) << choice;
  }
}

}  // namespace
}  // namespace qlab
