// gRPC credentials of a node (tls.hpp): insecure when TLS is off, else mutual TLS from the
// PEM files. Internal to the runtime (gRPC types).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "hivemind/runtime/tls.hpp"

namespace hivemind::runtime {

// Throws InputError naming the flag ("--tls-key: required with --tls-ca") when only some of
// the three files are given, or a file cannot be read or holds no PEM block.
void check_tls(const TlsFiles& tls);

// What a node serves with: insecure without TLS; else its certificate and key, and it
// requires and verifies a client certificate signed by the CA.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsFiles& tls);

// What a node (or the launcher) calls with: insecure without TLS; else the CA to verify the
// server and its own certificate and key to present.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsFiles& tls);

}  // namespace hivemind::runtime
