// Scenario files, format "hivemind.scenario/v1" (JSON, documented in docs/simulator.md): the
// network (nodes with their device class and position, links with capacity and background
// traffic), the radio access model, UE mobility, background-traffic shape, link dynamics, the
// device classes that turn measured per-layer profiles into per-node costs, and SCI signalling.
//
// The shipped scenarios live in data/scenarios/: mmwave-iab.json (Fig. 10 / Table I),
// sub6.json (Sec. VII-A1) and chain5.json (Sec. IV-F, Fig. 6).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/sim/blockage.hpp"
#include "hivemind/sim/radio.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::sim {

inline constexpr std::string_view kScenarioFormat = "hivemind.scenario/v1";

// Accepted ranges of a scenario's numbers (issue 10; the whole table, with the reasons, is in
// docs/simulator.md, "Accepted ranges"). The bounds other code relies on:
inline constexpr std::size_t kMaxScenarioEntries = 256;  // nodes, links, devices, radio_power
inline constexpr double kMinCapacityMbps = 1e-3;         // 1 kbit/s ...
inline constexpr double kMaxCapacityMbps = 1e6;          // ... 1 Tbit/s (also demand_mbps)
inline constexpr double kMaxBackgroundUes = 1e4;         // median background UEs of a link
inline constexpr double kMaxLogSigma = 3.0;              // every log-normal sigma
inline constexpr double kMaxDelayMs = 1e4;               // overhead_ms, sci.processing_ms
inline constexpr double kMaxCoherenceS = 1e3;            // dynamics.coherence_ms <= 1e6 ms

// Background traffic of one link or cell at "mid" load (Sec. VII-A3), redrawn every coherence
// block as in ref. [48]'s emulation: the block's number of UEs is log-normal around `ues` (log
// sigma `ues_sigma`), and each UE's demand is demand_mbps times a draw from the scenario's
// demand mixture. High / low load scale the count and the demand by 2 / 0.5.
struct Background {
  double ues = 0.0;          // median number of background UEs
  double demand_mbps = 0.0;  // median per-UE demand (Mbit/s)
  double ues_sigma = -1.0;   // log sigma of the count; < 0: the scenario's background.ues_sigma
};

// A log-normal mixture component of the per-UE demand (Ding et al., MASS 2016: per-user rate is
// a log-normal mixture; the component values are assumed, see docs/simulator.md).
struct DemandComponent {
  double weight = 1.0;
  double scale = 1.0;  // multiplies the link's demand_mbps
  double sigma = 0.5;  // log-space standard deviation
};

struct DeviceClass {
  std::string name;  // "ue", "iab-mec", ...
  // A class of the device catalog (data/devices/devices.json: a measured run such as "cpu1" or
  // a class derived from one such as "ue"), resolved per model by model::resolve_device; "none"
  // = relay only (cannot run layers).
  std::string device_class;
  double latency_scale = 1.0;   // per-layer latency = the class's latency * latency_scale
  double active_power_w = 0.0;  // compute energy = latency * power; 0 = the catalog's power
  bool energy_counted = false;  // part of the training energy objective (UE + IAB MECs)
  std::string source;           // provenance of the numbers, one line
};

enum class NodeRole { kUe, kGnb, kMec, kCloud };

struct ScenarioNode {
  std::string name;
  NodeRole role = NodeRole::kMec;
  std::string device;           // a DeviceClass name
  double x_m = 0.0, y_m = 0.0;  // position (gNBs)
};

struct ScenarioLink {
  std::string name;      // "A", "F", ...
  int from = 0, to = 0;  // node indices; data flows from -> to (towards the cloud)
  bool wireless = false;
  double capacity_bps = 0.0;
  double overhead_s = 0.0;  // psi of Eq. 10, per transfer
  Background background;
  std::string radio_power;  // key into Scenario::radio_power ("" = no radio energy)
  BlockageParams blockage;  // wireless links only; default: never blocked
};

// The UE's access links: one per gNB, capacity from the radio model (Sec. VII-A2).
struct AccessModel {
  bool enabled = false;
  RadioParams radio;
  double overhead_s = 0.0;
  double cell_radius_m = 300.0;  // background UEs are spread uniformly over this disc
  double fading_sigma_db = 0.0;  // per-coherence-block fade of the target's access SNR
  Background background;
  std::string radio_power;
  BlockageParams blockage;  // of each gNB's access link (independent per gNB)
};

struct Mobility {
  double speed_mps = 40.0 / 3.6;                       // 40 km/h (Sec. VII-A2)
  std::vector<std::pair<double, double>> waypoints_m;  // closed loop
  double hysteresis_db = 3.0;
  double check_s = 0.1;  // how often the UE re-evaluates its serving gNB
};

struct Scenario {
  std::string name;
  std::string description;
  double area_x_m = 1000.0, area_y_m = 1000.0;
  // Scheduler and dynamics.
  double tti_s = 1e-3;
  double pf_window_ttis = 99.0;  // Kwan et al.; ns-3 LastAvgTPutWeight
  double coherence_s = 0.05;     // link capacity constant over blocks of this length
  double ues_sigma = 0.3;        // log-normal spread of a block's UE count (links may override)
  double backlog_cap_s = 0.1;    // a background UE's buffer holds at most this much demand
  std::vector<DemandComponent> demand_mixture;
  // Network.
  std::vector<ScenarioNode> nodes;
  std::vector<ScenarioLink> links;
  AccessModel access;
  Mobility mobility;
  std::map<std::string, RadioPower> radio_power_up;    // uplink power model by name
  std::map<std::string, RadioPower> radio_power_down;  // downlink power model by name
  std::map<std::string, DeviceClass> devices;
  // SCI signalling: per hop, the node's processing time plus the SCI message transfer.
  double sci_processing_s = 0.003;
  split::Deliver deliver = split::Deliver::kSink;  // kSink | kNone (split/problem.hpp)

  int ue_node() const;    // index of the single UE
  int sink_node() const;  // index of the single cloud node
  // The link leaving node n towards the cloud, or -1 (sink, or a UE with an access model).
  int uplink_of(int node) const;
};

// Parses and validates; every error is one line naming the field and the value
// ("links[2].capacity_mbps: -5 is not positive"). `source` prefixes the message.
Scenario parse_scenario(std::string_view json_text, std::string_view source = "scenario");
Scenario load_scenario(const std::string& path);

}  // namespace hivemind::sim
