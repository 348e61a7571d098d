// Small TorchScript models built inside the tests (no downloads, no Python): modules defined
// from TorchScript source with torch::jit::Module::define and saved with Module::save, exactly
// what a user's torch.jit.save produces for the profiler.
#pragma once

#include <torch/script.h>

#include <string>

namespace hivemind::test {

// All modules share one compilation unit so that parents can call children.
class TorchModelFactory {
 public:
  TorchModelFactory() : cu_(std::make_shared<torch::jit::CompilationUnit>()) {}

  // conv2d(in -> out, 3x3, stride 1, padding 1, bias): (out*in*9 + out) float32 parameters.
  torch::jit::Module conv3x3(long in, long out) {
    auto m = make("Conv2d");
    m.register_parameter("weight", torch::randn({out, in, 3, 3}).requires_grad_(), false);
    m.register_parameter("bias", torch::randn({out}).requires_grad_(), false);
    m.define(R"(
def forward(self, x):
    return torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1], [1, 1], 1)
)");
    return m;
  }
  torch::jit::Module relu() {
    auto m = make("ReLU");
    m.define(R"(
def forward(self, x):
    return torch.relu(x)
)");
    return m;
  }
  // Linear(in -> out): (out*in + out) float32 parameters.
  torch::jit::Module linear(long in, long out) {
    auto m = make("Linear");
    m.register_parameter("weight", torch::randn({out, in}).requires_grad_(), false);
    m.register_parameter("bias", torch::randn({out}).requires_grad_(), false);
    m.define(R"(
def forward(self, x):
    return torch.linear(x, self.weight, self.bias)
)");
    return m;
  }
  torch::jit::Module embedding(long vocab, long dim) {
    auto m = make("Embedding");
    m.register_parameter("weight", torch::randn({vocab, dim}).requires_grad_(), false);
    m.define(R"(
def forward(self, tokens):
    return torch.embedding(self.weight, tokens)
)");
    return m;
  }
  // A recurrent cell returning a tuple (output, new hidden): the tuple is unpacked by the
  // caller, so the unpacking must stay inside this layer.
  torch::jit::Module cell(long dim) {
    auto m = make("Cell");
    m.register_parameter("w", torch::randn({dim, dim}).requires_grad_(), false);
    m.define(R"(
def forward(self, x, h):
    h2 = torch.tanh(torch.matmul(x + h, self.w))
    return h2 * 2.0, h2
)");
    return m;
  }
  // An empty module of that class name (register children, then define forward).
  torch::jit::Module make(const std::string& kind) {
    // Distinct class names per instance (the parameter shapes differ).
    return torch::jit::Module(
        c10::QualifiedName("__torch__.m" + std::to_string(counter_++) + "." + kind), cu_, true);
  }

 private:
  std::shared_ptr<torch::jit::CompilationUnit> cu_;
  int counter_ = 0;
};

// Chain: conv(3->4) -> relu -> flatten -> fc(4*8*8 -> 10); input 1,3,8,8.
inline torch::jit::Module chain_model(TorchModelFactory& f) {
  auto m = f.make("Chain");
  m.register_module("conv", f.conv3x3(3, 4));
  m.register_module("relu", f.relu());
  m.register_module("fc", f.linear(4 * 8 * 8, 10));
  m.define(R"(
def forward(self, x):
    y = self.relu.forward(self.conv.forward(x))
    return self.fc.forward(torch.flatten(y, 1))
)");
  return m;
}

// A residual block as in ResNet: stem conv, then block {conv1, relu, conv2, + skip, relu}
// (its relu module called twice); input 1,3,8,8, 4 channels inside.
inline torch::jit::Module residual_model(TorchModelFactory& f) {
  auto block = f.make("BasicBlock");
  block.register_module("conv1", f.conv3x3(4, 4));
  block.register_module("relu", f.relu());
  block.register_module("conv2", f.conv3x3(4, 4));
  block.define(R"(
def forward(self, x):
    identity = x
    out = self.conv2.forward(self.relu.forward(self.conv1.forward(x)))
    out = out + identity
    return self.relu.forward(out)
)");
  auto m = f.make("Net");
  m.register_module("stem", f.conv3x3(3, 4));
  m.register_module("block", block);
  m.define(R"(
def forward(self, x):
    return self.block.forward(self.stem.forward(x))
)");
  return m;
}

// Two inputs (int64 tokens 1,5 and float hidden 1,16), a tuple-returning cell, an in-place op
// and a tuple result that returns the hidden state too.
inline torch::jit::Module recurrent_model(TorchModelFactory& f) {
  auto m = f.make("Tagger");
  m.register_module("emb", f.embedding(100, 16));
  m.register_module("cell", f.cell(16));
  m.register_module("out", f.linear(16, 3));
  m.define(R"(
def forward(self, tokens, h):
    e = torch.sum(self.emb.forward(tokens), 1)
    y, h2 = self.cell.forward(e, h)
    logits = self.out.forward(y)
    logits.add_(1.0)
    return logits, h2
)");
  return m;
}

// Control flow as torch.jit.script leaves it (inputs 1,3,8,8, 4 channels inside):
//  - two blocks `if self.use_res: return x + self.conv(x) else: return self.conv(x)` on a bool
//    module attribute (MobileNet-V2's InvertedResidual and its use_res_connect), True in
//    block_a, False in block_b: constants of the module, so each is inlined;
//  - `if bool(y.sum() > 0.0)` on a tensor value, fc in one branch and fc_alt in the other: stays
//    one layer "if" whose parameters are both linears';
//  - `for _ in range(self.steps)` over mix (steps = 3, an int attribute): one layer "loop".
inline torch::jit::Module control_flow_model(TorchModelFactory& f) {
  auto block = [&](bool use_res) {
    auto b = f.make("InvertedResidual");
    b.register_module("conv", f.conv3x3(4, 4));
    b.register_attribute("use_res", c10::BoolType::get(), use_res);
    b.define(R"(
def forward(self, x):
    if self.use_res:
        return x + self.conv.forward(x)
    else:
        return self.conv.forward(x)
)");
    return b;
  };
  auto m = f.make("ControlFlow");
  m.register_module("stem", f.conv3x3(3, 4));
  m.register_module("block_a", block(true));
  m.register_module("block_b", block(false));
  m.register_module("fc", f.linear(4 * 8 * 8, 10));
  m.register_module("fc_alt", f.linear(4 * 8 * 8, 10));
  m.register_module("mix", f.linear(10, 10));
  m.register_attribute("steps", c10::IntType::get(), 3);
  m.define(R"(
def forward(self, x):
    x = self.block_b.forward(self.block_a.forward(self.stem.forward(x)))
    y = torch.flatten(x, 1)
    if bool(y.sum() > 0.0):
        z = self.fc.forward(y)
    else:
        z = self.fc_alt.forward(y)
    for _ in range(self.steps):
        z = self.mix.forward(z)
    return z
)");
  return m;
}

// Scripted DenseNet's pattern: a list built in forward, appended to, then concatenated
// (not supported by the profiler: it says so). Input 1,3,8,8.
inline torch::jit::Module appended_list_model(TorchModelFactory& f) {
  auto m = f.make("DenseBlock");
  m.register_module("conv", f.conv3x3(3, 4));
  m.define(R"(
def forward(self, x):
    features = [x]
    features.append(self.conv.forward(x))
    return torch.cat(features, 1)
)");
  return m;
}

// A forward that does not end in any useful time (10^12 interpreter steps): the profiler must
// stop it (--max-seconds). Input: any float tensor.
inline torch::jit::Module spinning_model(TorchModelFactory& f) {
  auto m = f.make("Spin");
  m.define(R"(
def forward(self, x):
    i = 0
    while i < 1000000000000:
        i += 1
    return x * float(i)
)");
  return m;
}

// A forward that allocates a 1 GiB tensor (256 x 1024 x 1024 float32, filled, so resident):
// the profiler must stop it below that (--max-memory-mib). Input: any float tensor.
inline torch::jit::Module greedy_model(TorchModelFactory& f) {
  auto m = f.make("Greedy");
  m.define(R"(
def forward(self, x):
    big = torch.ones([256, 1024, 1024])
    return x + big.sum()
)");
  return m;
}

}  // namespace hivemind::test
