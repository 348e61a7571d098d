// Device classes: what a node of a route computes on. The paper profiles four machines for its
// four roles (Sec. VII-A4): UE = Raspberry Pi 3B+, IAB MEC = Apple M1, core MEC = Ryzen 3800X +
// RTX 2080, cloud = Intel i9 + GTX 1080 Ti. We measured none of them; data/devices/devices.json
// derives each from one of the runs we did measure (data/measured: cpu1, cpu16, cuda) with a
// documented scaling and an active power figure, each number with its source. A user with
// real devices puts measured device profiles into the model profile instead (a measured class
// always wins over a derived one) or edits the file.
//
// Format "hivemind.devices/v1" (docs/models.md):
//   {"format": "hivemind.devices/v1", "classes": [{"device_class": "ue", "base": "cpu1",
//    "time_scale": 10, "flops_per_s": 2e9, "active_power_w": 5.1, ...sources...}, ...]}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hivemind/model/profile.hpp"

namespace hivemind::model {

inline constexpr std::string_view kDevicesFormat = "hivemind.devices/v1";

struct DeviceClass {
  std::string device_class;     // "ue", "cpu1", ...
  std::string role;             // "UE", "IAB MEC", ... (informative)
  std::string hardware;         // "Raspberry Pi 3 Model B+ ..." (informative)
  std::string base;             // measured class it is derived from; empty = measured itself
  double time_scale = 1.0;      // latency multiplier on the base class (> 0; 2 = twice as slow)
  double flops_per_s = 0.0;     // sustained FLOP/s; bounds compute-heavy layers; 0 = no bound
  double active_power_w = 0.0;  // power drawn while computing (watts); energy = time x power
};

struct DeviceCatalog {
  std::vector<DeviceClass> classes;
  const DeviceClass* find(std::string_view device_class) const;
};

// Parses and validates (classes distinct, every base a class of the catalog that is not itself
// derived, numbers positive); throws InputError "<source>: classes[2].time_scale: ...".
DeviceCatalog parse_device_catalog(std::string_view json_text, std::string_view source = "devices");
DeviceCatalog load_device_catalog(const std::string& path);

// The per-layer costs of `profile` on `device_class`:
//  1. the profile has that class: its costs as they are (energy filled in as forward_s x
//     active_power_w when the profile gives none and the catalog knows the class's power);
//  2. the catalog derives the class from a base the profile has: per layer
//       forward_s  = max(time_scale x base forward_s,  flops / flops_per_s)
//       backward_s = max(time_scale x base backward_s, 2 x flops / flops_per_s) where the base
//                    has a backward time, else 0
//       energy_j   = forward_s x active_power_w
//     (the FLOPs term is skipped for layers whose FLOPs are unknown or when flops_per_s = 0);
//  3. otherwise InputError naming the class, the model and the classes that would work.
DeviceProfile resolve_device(const ModelProfile& profile, const std::string& device_class,
                             const DeviceCatalog& catalog);

}  // namespace hivemind::model
