// Optional mutual TLS on every channel of a HiveMind deployment (issue 13, item 8): with it on,
// a daemon serves only clients that present a certificate signed by the deployment's CA, and
// calls only servers that do, so no one outside the deployment can submit tasks or SCI
// messages. Certificates and keys are PEM files (docs/runtime.md shows how to make them with
// the openssl CLI).
#pragma once

#include <string>

namespace hivemind::runtime {

struct TlsFiles {
  std::string ca;    // the CA certificate that signed every node's certificate
  std::string cert;  // this node's certificate (it serves and calls with it)
  std::string key;   // its private key
  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};

}  // namespace hivemind::runtime
