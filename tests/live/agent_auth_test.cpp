// `qlab agent` and the coordinator's AgentHost: mutual HMAC-SHA256 authentication with a shared secret,
// orders confined to the work folder, and the broker token passed through the environment. The agent is
// the real executable on an ephemeral loopback port.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "live/agent.hpp"
#include "live/client.hpp"
#include "live/child_process.hpp"
#include "live/process_host.hpp"
#include "live/server_order.hpp"
#include "live/shared_secret.hpp"

namespace qlab::live {
namespace {

namespace fs = std::filesystem;

// The port of a "listening on ADDR:PORT\n" line.
std::uint16_t port_of(const std::string& line) {
  return split_host_port(line.substr(13, line.find_last_not_of('\n') - 12)).second;
}

class Agent {
 public:
  // `secret` reaches the agent through QLAB_SECRET (empty: none).
  explicit Agent(const std::string& secret)
      : dir_(fs::temp_directory_path() / ("qlab-agent-test-" + random_hex(6))),
        child_({QLAB_BINARY, "agent", "--listen", "127.0.0.1:0", "--work-dir", (dir_ / "work").string()},
               (fs::create_directories(dir_), dir_ / "agent.log"), true, Environment{{kSecretVariable, secret}}) {
    const std::string line = child_.read_line(10 * kSecond);
    if (line.rfind("listening on ", 0) != 0) throw std::runtime_error("the agent did not start: '" + line + "'");
    port_ = port_of(line);
  }
  ~Agent() {
    child_.signal(SIGTERM);
    child_.wait_for_exit(10 * kSecond);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::uint16_t port() const { return port_; }
  fs::path work() const { return dir_ / "work"; }
  fs::path dir() const { return dir_; }

 private:
  fs::path dir_;
  ChildProcess child_;
  std::uint16_t port_ = 0;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(SharedSecret, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_NE(agent_proof("s", "n1", "n2"), coordinator_proof("s", "n1", "n2"));  // never reflected
}

TEST(AgentAuth, TheCoordinatorAndTheAgentProveTheSameSecretAndTheTokenTravelsInTheEnvironment) {
  Agent agent("correct horse");
  auto host = make_agent_host("a", "127.0.0.1", agent.port(), "correct horse");
  host->prepare("run1");
  host->put("run1", "note.txt", "hello");
  // A broker started through the agent with its token in the environment, not on its command line.
  auto broker = host->spawn("run1", {"broker", "--listen", "127.0.0.1:0"}, "broker.log", true,
                            Environment{{kTokenVariable, "tok-123"}});
  const std::string& line = broker->first_line();
  ASSERT_EQ(line.rfind("listening on ", 0), 0u) << line;
  const std::uint16_t port = port_of(line);
  EXPECT_NO_THROW(Client("127.0.0.1", port, Hello{kProtocolVersion, Role::admin, "x", "tok-123"}));
  EXPECT_THROW(Client("127.0.0.1", port, Hello{kProtocolVersion, Role::admin, "x", ""}), ClientError);
  broker->signal(SIGTERM);
  EXPECT_TRUE(broker->wait_for_exit(10 * kSecond));
}

TEST(AgentAuth, AWrongOrMissingSecretIsRefusedEitherWay) {
  Agent agent("correct horse");
  EXPECT_NE(error_of([&] { make_agent_host("a", "127.0.0.1", agent.port(), "battery staple"); })
                .find("authentication failed"),
            std::string::npos);
  EXPECT_NE(error_of([&] { make_agent_host("a", "127.0.0.1", agent.port(), ""); }).find("requires the shared secret"),
            std::string::npos);
  Agent open("");
  EXPECT_NE(error_of([&] { make_agent_host("b", "127.0.0.1", open.port(), "correct horse"); }).find("no shared secret"),
            std::string::npos);
  EXPECT_NO_THROW(make_agent_host("b", "127.0.0.1", open.port(), ""));  // loopback, no secret on either side
}

TEST(AgentAuth, AnAgentOnAnAddressThatIsNotLoopbackNeedsASecret) {
  const fs::path log = fs::temp_directory_path() / ("qlab-agent-refused-" + random_hex(6) + ".log");
  ChildProcess child({QLAB_BINARY, "agent", "--listen", "0.0.0.0:0"}, log, false, Environment{{kSecretVariable, ""}});
  ASSERT_TRUE(child.wait_for_exit(10 * kSecond));
  EXPECT_EQ(child.exit_code(), 2);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("not a loopback address, needs a shared secret"), std::string::npos) << text;
  fs::remove(log);
}

TEST(AgentAuth, OrdersCannotNamePathsOutsideTheWorkFolderOrStartOtherCommands) {
  Agent agent("s3cret-s3cret");
  auto host = make_agent_host("a", "127.0.0.1", agent.port(), "s3cret-s3cret");
  host->prepare("run1");
  const fs::path outside = agent.dir() / "outside";
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, agent.work() / "run1" / "escape");
  const auto refused = [&](const std::vector<std::string>& args, const Environment& env = {}) {
    return error_of([&] { host->spawn("run1", args, "x.log", false, env); });
  };
  EXPECT_NE(refused({"broker", "--records", (outside / "b.csv").string()}).find("outside the agent's work folder"),
            std::string::npos);
  EXPECT_NE(refused({"broker", "--records", (agent.work() / "run1" / ".." / ".." / "b.csv").string()}).find("'..'"),
            std::string::npos);
  EXPECT_NE(refused({"broker", "--records=" + (agent.work() / "run1" / "escape" / "b.csv").string()})
                .find("outside the agent's work folder"),
            std::string::npos);
  EXPECT_NE(refused({"broker", "--records", "relative.csv"}).find("must be absolute"), std::string::npos);
  EXPECT_NE(refused({"run", "/etc/passwd"}).find("starts only"), std::string::npos);
  EXPECT_NE(refused({"broker"}, Environment{{"LD_PRELOAD", "/tmp/x.so"}}).find("QLAB_* variables only"),
            std::string::npos);
  EXPECT_NE(error_of([&] { host->put("run1", "escape", "x"); }).find("outside the agent's work folder"), std::string::npos);
  EXPECT_NE(error_of([&] { host->put("../x", "f", "x"); }).find("bad run folder name"), std::string::npos);
  // fetch does not follow a symlink out of the run folder.
  std::ofstream(outside / "secret.csv") << "private";
  fs::create_symlink(outside / "secret.csv", agent.work() / "run1" / "leak.csv");
  std::ofstream(agent.work() / "run1" / "mine.csv") << "records";
  const auto files = host->fetch("run1", ".csv");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].first, "mine.csv");
  EXPECT_FALSE(fs::exists(outside / "b.csv"));
}

TEST(AgentAuth, ServerOrdersStartOnlyTheBrokersServersWithTheirLaunchersFlags) {
  Agent agent("s3cret-s3cret");
  auto host = make_agent_host("a", "127.0.0.1", agent.port(), "s3cret-s3cret");
  host->prepare("run1");
  const std::string data = host->make_dir("run1", "redis-0");
  EXPECT_TRUE(fs::is_directory(data));
  EXPECT_NE(error_of([&] { host->make_dir("run1", "../x"); }).find("bad file name"), std::string::npos);
  const auto refused = [&](const std::string& program, const std::vector<std::string>& args) {
    return error_of([&] { host->start_server("run1", program, args, "s.log"); });
  };
  EXPECT_NE(refused("sh", {"-c", "true"}).find("starts no program 'sh'"), std::string::npos);
  EXPECT_NE(refused("/usr/bin/redis-server", {}).find("starts no program"), std::string::npos);  // names, not paths
  EXPECT_NE(refused("redis-server", {"--dir", "/etc"}).find("outside the agent's work folder"), std::string::npos);
  EXPECT_NE(refused("redis-server", {"--dir", "relative"}).find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("redis-server", {"--daemonize", "yes"}).find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("redis-server", {"--logfile", "/tmp/x"}).find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("redis-server", {"--appendfsync", "always\ndir /etc"}).find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("redis-server", {"--loadmodule", "/tmp/x.so"}).find("flag '--loadmodule' is not admitted"),
            std::string::npos);
  EXPECT_NE(refused("nats-server", {"-c", "/etc/nats.conf"}).find("flag '-c' is not admitted"), std::string::npos);
  EXPECT_NE(refused("nats-server", {"--routes", "file:///etc"}).find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("beanstalkd", {"-l"}).find("needs a value"), std::string::npos);
  // A free port of the agent's address, and a server with admitted flags that the agent kills and reaps.
  if (find_executable("beanstalkd").empty()) GTEST_SKIP() << "beanstalkd is not installed (scripts/setup.sh)";
  const std::uint16_t port = host->free_port();
  auto server = host->start_server("run1", "beanstalkd", {"-l", "127.0.0.1", "-p", std::to_string(port), "-b", data}, "s.log");
  EXPECT_TRUE(server->running());
  server->signal(SIGKILL);
  EXPECT_TRUE(server->wait_for_exit(10 * kSecond));
  EXPECT_EQ(server->exit_code(), 128 + SIGKILL);
}

TEST(AgentAuth, RabbitmqOrdersAdmitOnlyItsProgramsVariablesAndVmArgumentsAndTheCookieStaysPrivate) {
  Agent agent("s3cret-s3cret");
  auto host = make_agent_host("a", "127.0.0.1", agent.port(), "s3cret-s3cret");
  host->prepare("run1");
  const std::string home = host->make_dir("run1", "rabbitmq-n0");
  const auto refused = [&](const std::string& program, const std::vector<std::string>& args, const Environment& env) {
    return error_of([&] { host->start_server("run1", program, args, "s.log", env); });
  };
  const auto refused_env = [&](const std::string& name, const std::string& value) {
    return refused("rabbitmq-server", {}, {{name, value}});
  };
  const std::string not_admitted = "is not admitted";
  EXPECT_NE(refused("rabbitmqctl", {}, {}).find("starts no program 'rabbitmqctl'"), std::string::npos);
  EXPECT_NE(refused("/usr/lib/rabbitmq/bin/rabbitmq-server", {}, {}).find("starts no program"), std::string::npos);
  EXPECT_NE(refused("rabbitmq-server", {"-detached"}, {}).find("flag '-detached' is not admitted"), std::string::npos);
  EXPECT_NE(refused("epmd", {"-address", "0.0.0.0"}, {}).find(not_admitted), std::string::npos);  // not the agent's
  EXPECT_NE(refused("epmd", {"-address", "10.1.2.3"}, {}).find(not_admitted), std::string::npos);
  EXPECT_NE(refused("epmd", {"-port", "43x"}, {}).find(not_admitted), std::string::npos);
  EXPECT_NE(refused("rabbitmq-queues", {"delete_member", "q"}, {}).find("flag 'delete_member'"), std::string::npos);
  EXPECT_NE(refused("rabbitmq-queues", {"-n", "qlab0@localhost; rm"}, {}).find(not_admitted), std::string::npos);
  // Variables: only the launcher's, each of its kind; never one that changes how a program loads, nor a cookie.
  EXPECT_NE(refused_env("LD_PRELOAD", home + "/x.so").find("variable 'LD_PRELOAD' is not admitted"), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_ERLANG_COOKIE", "ABCDEFGHIJKLMNOPQRST").find("is not admitted"), std::string::npos);
  EXPECT_NE(refused("epmd", {}, {{"HOME", home}}).find("variable 'HOME' is not admitted"), std::string::npos);
  EXPECT_NE(refused_env("HOME", "/root").find("outside the agent's work folder"), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_MNESIA_BASE", "data").find(not_admitted), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_NODE_PORT", "5672 ").find(not_admitted), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_NODENAME", "qlab0").find(not_admitted), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_USE_LONGNAME", "yes").find(not_admitted), std::string::npos);
  EXPECT_NE(refused_env("RABBITMQ_CONF_ENV_FILE", home + "/env").find(not_admitted), std::string::npos);
  // VM arguments: exactly the launcher's words, so no -eval, no other setting, no distribution off the loopback.
  for (const std::string args : {"-noinput -eval halt().", "-noinput -s os cmd",
                                 "-kernel inet_dist_use_interface {0,0,0,0}",
                                 "-kernel inet_dist_use_interface {127,0,0,1,}", "-rabbit loopback_users [<<\"x\">>]",
                                 "-rabbit consumer_timeout 1e9", "-rabbit cluster_nodes {['a@b',x],disc}",
                                 "-rabbit default_pass x", ""}) {
    EXPECT_NE(refused_env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", args).find(not_admitted), std::string::npos) << args;
  }
  // The launcher's own arguments pass the checks (checked here without starting a node).
  const nlohmann::json env = {
      {"HOME", home},
      {"RABBITMQ_NODENAME", "qlab0@10.1.2.3"},
      {"RABBITMQ_USE_LONGNAME", "true"},
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
       "-noinput -start_epmd false -kernel inet_dist_use_interface {10,1,2,3} -rabbit consumer_timeout 500 "
       "-rabbit loopback_users [] -rabbit cluster_nodes {['qlab0@10.1.2.3','qlab1@10.1.2.4'],disc}"}};
  try {
    const ServerOrder order =
        checked_server_order(agent.work().string(), "10.1.2.3", "rabbitmq-server", nlohmann::json::array(), env);
    EXPECT_EQ(order.argv, std::vector<std::string>{"/usr/lib/rabbitmq/bin/rabbitmq-server"});
    EXPECT_EQ(order.env.at("RABBITMQ_NODENAME"), "qlab0@10.1.2.3");
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("rabbitmq-server is not installed"), std::string::npos) << e.what();
  }
  // The cookie: letters and digits, written owner-read-only in a folder of the run.
  EXPECT_NE(error_of([&] { host->put_erlang_cookie("run1", "rabbitmq-n0", "short"); }).find("16 to 255"),
            std::string::npos);
  EXPECT_NE(error_of([&] { host->put_erlang_cookie("run1", "..", "ABCDEFGHIJKLMNOPQRST"); }).find("bad file name"),
            std::string::npos);
  host->put_erlang_cookie("run1", "rabbitmq-n0", "ABCDEFGHIJKLMNOPQRST");
  struct stat info {};
  ASSERT_EQ(::stat((home + "/.erlang.cookie").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0400u);
  host->put_erlang_cookie("run1", "rabbitmq-n0", "ZYXWVUTSRQPONMLKJIHG");  // a new run's cookie replaces it
  std::ifstream cookie(home + "/.erlang.cookie");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(cookie), {}), "ZYXWVUTSRQPONMLKJIHG");
}

TEST(AgentAuth, ConfinedPathResolvesSymlinksAndRefusesDotDot) {
  const fs::path root = fs::temp_directory_path() / ("qlab-confined-" + random_hex(6));
  fs::create_directories(root / "a");
  fs::create_directory_symlink(fs::temp_directory_path(), root / "up");
  EXPECT_EQ(confined_path(root, "a/f"), fs::weakly_canonical(root / "a" / "f"));
  EXPECT_EQ(confined_path(root, (root / "a").string()), fs::weakly_canonical(root / "a"));
  EXPECT_THROW(confined_path(root, "a/../../x"), std::invalid_argument);
  EXPECT_THROW(confined_path(root, "up/x"), std::invalid_argument);
  EXPECT_THROW(confined_path(root, "/etc/passwd"), std::invalid_argument);
  EXPECT_THROW(confined_path(root / "a", (root / "ab").string()), std::invalid_argument);  // a prefix, not a parent
  fs::remove_all(root);
}

}  // namespace
}  // namespace qlab::live
