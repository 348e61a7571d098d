// One node's own configuration file, format "hivemind.node/v1" (issue 13, items 2 and 5): what
// `hivemind-node --config NODE.json` runs with on one host of a multi-machine chain. It holds
// only what the node knows (Sec. IV-C) — its position, its device class and model, its own
// profile (or none: measured at start-up), the link it receives data on and the nodes after it
// with the links into them — and nothing of the other nodes' compute. docs/runtime.md ("Deploying")
// documents the format and a 3-host deployment.
//
//   {"format": "hivemind.node/v1",
//    "name": "core", "position": 2, "nodes": 4,
//    "device_class": "core-mec", "speed_scale": 1.0,
//    "model": "resnet18.pt", "input": "1,3,224,224", "profile": "resnet18.profile.json",
//    "incoming": {"bandwidth_mbps": 1000, "overhead_ms": 1},
//    "downstream": [{"address": "10.0.0.3:50051",
//                    "link": {"bandwidth_mbps": 400, "overhead_ms": 5}}],
//    "deliver": "sink", "listen": "0.0.0.0:50051",
//    "emulation": {"devices": false, "links": false, "dilation": 1.0},
//    "tls": {"ca": "ca.pem", "cert": "node.pem", "key": "node.key"},
//    "estimate_links": true, "log_level": "warn", "timeout_s": 5}
//
// Links are read by the route format's rules (model/route.hpp: bandwidth_mbps > 0, overhead_ms
// >= 0, down_* defaulting to the up values). Relative paths (model, profile, tls) are relative
// to the file's folder.
#pragma once

#include <string>
#include <string_view>

#include "hivemind/runtime/node.hpp"

namespace hivemind::runtime {

inline constexpr std::string_view kNodeFormat = "hivemind.node/v1";

struct NodeFile {
  NodeConfig config;   // what NodeServer / plan_from_source / Source take
  std::string listen;  // where the daemon listens ("127.0.0.1:0" when the file gives none)
  std::string name;    // the node's name (log lines); default "node<position>"
};

// Reads and checks `path` and builds the node's configuration exactly as
// node_config_from_problem would from a problem file built from the same profile with
// model::problem_from_route (same compute row, links in bytes/s and s, cut bytes, deliver mode
// and architecture hash), so daemons started from node files and from a problem file
// interoperate. The per-layer times are the profile's for `device_class` (resolved with
// <data_dir>/devices/devices.json, derived with <data_dir>/devices/latency_models.json when the
// profile lacks the class's base) divided by speed_scale; without "profile" the model is
// profiled on this machine first (LibTorch, cpu, forward only; class "cpu"). The model is
// loaded for execution and each of its cuts must carry the profile's bytes.
//
// `note` (if given) receives one line for the user when classes were derived or the model was
// measured ("" otherwise). Throws InputError with one line "<path>: <field>: <problem>", e.g.
// "node.json: downstream[1].link.bandwidth_mbps: 0 must be > 0"; every TLS file is checked
// here too (not only at the first handshake).
NodeFile load_node_config(const std::string& path, const std::string& data_dir,
                          std::string* note = nullptr);

}  // namespace hivemind::runtime
