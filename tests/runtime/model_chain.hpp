// Shared by the runtime tests that execute a model across daemons: ResNet-18 at 32 px (the
// profiler's), a chain problem on its cuts, the chain's daemons with the source here.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/model/torch_executor.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/split/problem_io.hpp"
#include "runtime_testing.hpp"

namespace hivemind::runtime::testing {

struct Model {
  std::string path, input = "1,3,32,32";
  std::shared_ptr<const model::TorchLayerExecutor> executor;
};

inline Model resnet18(const fs::path& dir) {
  Model m;
  m.path = (dir / "resnet18.pt").string();
  model::save_torchscript_resnet18(m.path, /*classes=*/10);
  m.executor =
      std::make_shared<const model::TorchLayerExecutor>(m.path, model::parse_torch_inputs(m.input));
  return m;
}

// A problem on the model's cuts: per-layer compute of each node and the links given.
inline split::Problem chain_problem(const model::TorchLayerExecutor& executor,
                                    const std::vector<std::vector<double>>& compute,
                                    const std::vector<split::Link>& links) {
  split::Problem p;
  p.layers = static_cast<int>(executor.layer_count());
  p.input_bytes = executor.cut_bytes(0);
  for (int x = 1; x <= p.layers; ++x) p.output_bytes.push_back(executor.cut_bytes(x));
  for (std::size_t n = 0; n < compute.size(); ++n)
    p.nodes.push_back({"n" + std::to_string(n), compute[n]});
  p.links = links;
  return p;
}

inline double max_diff(const TaskResult& r, const model::TorchLayerExecutor& executor,
                       const std::vector<c10::IValue>& in) {
  return (r.output.toTensor() - executor.forward(in).toTensor()).abs().max().item<double>();
}

// The problem's daemons (nodes 1..P-1, each with `per_node` flags) and the source here,
// executing the model; every node's call timeout `timeout_s` (generous by default).
inline std::unique_ptr<Source> start_chain(LocalChain& chain, const fs::path& dir,
                                           const split::Problem& p, const Model& m,
                                           const std::map<int, std::vector<std::string>>& per_node,
                                           double timeout_s = 30) {
  const std::string file = (dir / "problem.json").string();
  write_text_file_atomic(file, split::to_json(p));
  const std::vector<std::string> nodes = chain.start(
      file, p.node_count(),
      {"--model", m.path, "--input", m.input, "--timeout-s", std::to_string(timeout_s)}, per_node);
  NodeConfig config = node_config_from_problem(p, 0, nodes);
  config.executor = m.executor;
  config.call_timeout_s = timeout_s;
  return std::make_unique<Source>(config);
}

}  // namespace hivemind::runtime::testing
