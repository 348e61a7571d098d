// Optional mutual TLS on every channel (issue 13, item 8): node daemons started with
// --tls-ca/--tls-cert/--tls-key serve only clients whose certificate the deployment's CA
// signed, and call only such servers. The test makes its own PKI with the openssl CLI (a
// deployment CA, a node certificate for 127.0.0.1 signed by it; a rogue CA and a rogue
// certificate signed by that one) and checks that the deployment plans as without TLS, that
// an insecure or rogue client is refused before reaching the service, and that bad TLS flags
// are one line and exit code 2.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/solve.hpp"
#include "hivemind/v1/node.grpc.pb.h"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;

std::string fig2_path() { return std::string(HIVEMIND_EXAMPLES) + "/fig2.json"; }

// Runs `openssl ARGS...` in `dir` (no shell); throws with openssl's output when it fails.
void openssl(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  const std::string log = (dir / "openssl.log").string();
  const ExitStatus st = run_process({args, dir.string(), log}, 30.0);
  if (!st.ok())
    throw std::runtime_error("openssl " + args[1] + " failed (code " + std::to_string(st.code) +
                             "): " + read_text_file(log));
}

// A CA (self-signed, EC P-256 key, valid one day): NAME.pem, NAME.key in `dir`.
void make_ca(const fs::path& dir, const std::string& name) {
  openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "1", "-subj",
                "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign"});
}

// A node certificate NAME.pem (key NAME.key) signed by CA `ca`, for 127.0.0.1 and localhost,
// usable as server and as client (node.ext: the extensions it gets).
void make_node_cert(const fs::path& dir, const std::string& name, const std::string& ca) {
  write_text_file_atomic((dir / "node.ext").string(),
                         "basicConstraints=CA:FALSE\n"
                         "keyUsage=critical,digitalSignature,keyEncipherment\n"
                         "extendedKeyUsage=serverAuth,clientAuth\n"
                         "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(dir, {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name});
  openssl(dir, {"x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "1", "-out", name + ".pem", "-extfile", "node.ext"});
}

// The certificates of one test run: the deployment's and an outsider's.
struct Pki {
  TlsFiles deployment;  // ca.pem, node.pem, node.key
  TlsFiles rogue;       // the deployment's CA (public), a certificate the rogue CA signed
  TlsFiles rogue_ca;    // an outsider's own PKI: rogue CA, rogue certificate
};

// The TLS flags of a daemon.
std::vector<std::string> tls_flags(const TlsFiles& tls) {
  return {"--tls-ca", tls.ca, "--tls-cert", tls.cert, "--tls-key", tls.key};
}

// The certificates, made once for the suite (in the suite's folder, removed at the end).
class MutualTls : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (root_.empty()) return;
    std::error_code ec;
    fs::remove_all(root_, ec);
    fs::remove(root_.parent_path(), ec);  // the process's folder, if no other test left files
  }
  void SetUp() override {
    // Required, not skipped: `openssl` is one of the Makefile's packages (make deps).
    ASSERT_TRUE(find_executable("openssl").has_value())
        << "no openssl CLI on $PATH to make certificates (apt-get install openssl)";
    if (!pki_) {
      root_ = testing::temp_dir("tls");
      const fs::path dir = root_ / "pki";
      fs::create_directories(dir);
      make_ca(dir, "ca");
      make_node_cert(dir, "node", "ca");
      make_ca(dir, "rogue_ca");
      make_node_cert(dir, "rogue", "rogue_ca");
      auto at = [&](const std::string& f) { return (dir / f).string(); };
      pki_ = Pki{{at("ca.pem"), at("node.pem"), at("node.key")},
                 {at("ca.pem"), at("rogue.pem"), at("rogue.key")},
                 {at("rogue_ca.pem"), at("rogue.pem"), at("rogue.key")}};
    }
  }
  static const Pki& pki() { return *pki_; }
  // A folder of this test's own under the suite's.
  static fs::path dir(const std::string& name) { return root_ / name; }

 private:
  static fs::path root_;
  static std::optional<Pki> pki_;
};
fs::path MutualTls::root_;
std::optional<Pki> MutualTls::pki_;

// The source (node 0, in this process) of fig2.json with `tls`, a short deadline per call so
// that a refused handshake fails fast.
NodeConfig source_config(const split::Problem& problem, const std::vector<std::string>& nodes,
                         const TlsFiles& tls) {
  NodeConfig c = node_config_from_problem(problem, /*position=*/0, nodes);
  c.tls = tls;
  c.call_timeout_s = 2.0;
  return c;
}

// The status of Run(garbage) from a raw client with `credentials` on the node at `address`.
grpc::Status run_garbage(const std::string& address,
                         const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  auto stub = hivemind::v1::Node::NewStub(grpc::CreateChannel(address, credentials));
  hivemind::v1::TaskRequest req;
  req.set_task(1);
  req.set_cut(1);
  req.set_live("not a pickle");
  hivemind::v1::TaskReply reply;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return stub->Run(&ctx, req, &reply);
}

grpc::SslCredentialsOptions ssl_options(const TlsFiles& tls) {
  return {read_text_file(tls.ca), read_text_file(tls.key), read_text_file(tls.cert)};
}

// One chain of daemons (nodes 1 and 2 of fig2.json) with the deployment's certificate for
// every case that needs daemons: each takes about a second to start (LibTorch).
TEST_F(MutualTls, OnlyTheDeploymentPlansOrReachesTheService) {
  const split::Problem problem = split::load_problem(fig2_path());
  LocalChain chain(HIVEMIND_NODE_EXE, dir("chain"));
  // 127.0.0.1:PORT, the node certificate's IP SAN.
  const std::vector<std::string> nodes =
      chain.start(fig2_path(), problem.node_count(), tls_flags(pki().deployment));
  {
    SCOPED_TRACE("the deployment plans as without TLS");
    const PlanResult r =
        plan_from_source(source_config(problem, nodes, pki().deployment), /*epoch=*/1);
    // Every hop (source -> node 1 -> node 2) ran over mutual TLS; the plan is the optimum the
    // library computes in-process, within float32 rounding of the messages.
    const split::Solution want = split::solve(split::compile(problem), split::Method::kSci);
    EXPECT_TRUE(r.absent.empty());
    EXPECT_NEAR(r.cost, want.cost, 1e-6 * want.cost);
    EXPECT_NEAR(split::evaluate(split::compile(problem), r.boundaries).total, want.cost,
                1e-6 * want.cost);
    // The Shape channel too: accepted with the deployment's certificate, refused without TLS.
    const split::LinkDirection up = problem.links[1].up;
    EXPECT_NO_THROW(shape_link(nodes[0], up, pki().deployment, 2.0));
    EXPECT_THROW(shape_link(nodes[0], up, TlsFiles{}, 2.0), InputError);
  }
  {
    SCOPED_TRACE("outsiders cannot plan");
    const std::pair<const char*, TlsFiles> outsiders[] = {
        {"TLS off (insecure channel)", TlsFiles{}},
        {"a certificate the deployment's CA did not sign", pki().rogue},
        {"its own CA and certificate", pki().rogue_ca}};
    for (const auto& [who, tls] : outsiders) {
      const auto start = std::chrono::steady_clock::now();
      EXPECT_THROW(plan_from_source(source_config(problem, nodes, tls), 2), InputError) << who;
      const double took_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(took_s, 10.0) << who;  // refused within the calls' deadlines, never hanging
    }
    // The nodes still serve the deployment afterwards.
    EXPECT_NO_THROW(plan_from_source(source_config(problem, nodes, pki().deployment), 3));
  }
  {
    SCOPED_TRACE("raw clients without the certificate never reach the service");
    // Insecure: the handshake fails, the call never reaches Run (UNAVAILABLE, not Run's error).
    const grpc::Status insecure = run_garbage(nodes[0], grpc::InsecureChannelCredentials());
    EXPECT_FALSE(insecure.ok());
    EXPECT_EQ(insecure.error_code(), grpc::StatusCode::UNAVAILABLE) << insecure.error_message();
    // A rogue client certificate: the server refuses it in the handshake.
    const grpc::Status rogue =
        run_garbage(nodes[0], grpc::SslCredentials(ssl_options(pki().rogue)));
    EXPECT_EQ(rogue.error_code(), grpc::StatusCode::UNAVAILABLE) << rogue.error_message();
    // Control: with the deployment's certificate the same garbage reaches Run, which refuses
    // it with its own error.
    const grpc::Status inside =
        run_garbage(nodes[0], grpc::SslCredentials(ssl_options(pki().deployment)));
    EXPECT_EQ(inside.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << inside.error_message();
  }
}

// Files given wrong: one line naming the flag (and the file), from the server's side and the
// caller's, before any connection.
TEST_F(MutualTls, BadTlsFilesAreOneLineNamingTheFlag) {
  const split::Problem problem = split::load_problem(fig2_path());
  const TlsFiles& ok = pki().deployment;
  const std::string missing = dir("missing.pem").string();
  const std::pair<TlsFiles, std::string> cases[] = {
      {{ok.ca, "", ""}, "--tls-cert: required with --tls-ca"},
      {{ok.ca, ok.cert, ""}, "--tls-key: required with --tls-ca and --tls-cert"},
      {{"", "", ok.key}, "--tls-ca: required with --tls-key"},
      {{fig2_path(), ok.cert, ok.key}, "--tls-ca: " + fig2_path() + ": not a PEM file"},
      {{ok.ca, ok.key, ok.cert}, "--tls-cert: " + ok.key + ": holds no certificate"},
      {{ok.ca, ok.cert, ok.ca}, "--tls-key: " + ok.ca + ": holds no private key"},
      {{ok.ca, ok.cert, missing}, "--tls-key: " + missing + ": cannot read file"},
      {{ok.ca, ok.cert, "-"}, "--tls-key: -: standard input is not accepted"}};
  for (const auto& [tls, want] : cases) {
    auto expect_line = [&want = want](const std::function<void()>& f) {
      try {
        f();
        ADD_FAILURE() << "accepted: " << want;
      } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(want, 0), 0u) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      }
    };
    NodeConfig sink = node_config_from_problem(problem, /*position=*/2, {});
    sink.tls = tls;
    expect_line([&] { NodeServer server(sink, "127.0.0.1:0"); });
    const NodeConfig source = source_config(problem, {"127.0.0.1:1", "127.0.0.1:2"}, tls);
    expect_line([&] { plan_from_source(source, 1); });
  }
}

// hivemind-node with such flags: exit code 2 and exactly one stderr line "hivemind-node: ...".
// Both runs at once (each loads LibTorch for about a second).
TEST_F(MutualTls, BadTlsFlagsExitTwoWithOneLine) {
  const fs::path flags = dir("flags");
  fs::create_directories(flags);
  const TlsFiles& ok = pki().deployment;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--tls-ca", ok.ca}, "--tls-cert: required with --tls-ca"},
      {{"--tls-ca", fig2_path(), "--tls-cert", ok.cert, "--tls-key", ok.key},
       "--tls-ca: " + fig2_path() + ": not a PEM file"}};
  std::vector<pid_t> pids;
  for (std::size_t k = 0; k < std::size(cases); ++k) {
    std::vector<std::string> argv = {HIVEMIND_NODE_EXE, "--problem", fig2_path(), "--position", "2",
                                     "--max-seconds",   "5"};
    argv.insert(argv.end(), cases[k].first.begin(), cases[k].first.end());
    pids.push_back(spawn({argv, "", (flags / (std::to_string(k) + ".out")).string()}));
  }
  for (std::size_t k = 0; k < std::size(cases); ++k) {
    const ExitStatus st = wait_for(pids[k], 20.0);
    EXPECT_EQ(st.code, kExitBadInput) << cases[k].second;
    const std::string text = read_text_file((flags / (std::to_string(k) + ".out")).string());
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_EQ(text.rfind("hivemind-node: " + cases[k].second, 0), 0u) << text;
  }
}

}  // namespace
}  // namespace hivemind::runtime
