// gRPC credentials of a node (tls.hpp): insecure when TLS is off, else mutual TLS from the
// PEM files. Internal to the runtime (gRPC types).
//
// What the files must hold (docs/runtime.md shows the openssl commands):
//  - --tls-ca: the deployment's CA certificate (basicConstraints CA:TRUE). Every node and the
//    source trust exactly this CA, both ways: a server verifies its clients' certificates and
//    a client its server's against it, and nothing else (not the system's CAs).
//  - --tls-cert: the node's certificate, signed by that CA (a chain: the node's first). It is
//    presented both as a server and as a client, so if it has an extendedKeyUsage it must
//    list serverAuth and clientAuth. Its subjectAltName must match the address its upstream
//    dials: IP:127.0.0.1 (and DNS:localhost) on loopback, the host's IP or DNS name otherwise
//    (gRPC checks the name of host:port against the SANs; the CN is not enough).
//  - --tls-key: that certificate's private key, unencrypted PEM (PKCS#8 "BEGIN PRIVATE KEY",
//    or "BEGIN RSA/EC PRIVATE KEY"). RSA and ECDSA keys both work.
// One certificate may serve every node (same SANs) or each node may have its own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "hivemind/runtime/tls.hpp"

namespace hivemind::runtime {

// Nothing when TLS is off (no file given). Throws InputError, one line naming the flag:
// only some of the three files are given ("--tls-key: required with --tls-ca and
// --tls-cert ..."), or a file cannot be read, holds no PEM block ("--tls-cert: PATH: not a
// PEM file ...") or not the block it must (a certificate for --tls-ca/--tls-cert, an
// unencrypted private key for --tls-key). Whether the key matches the certificate, and the
// certificate the CA, is checked by gRPC at the first handshake, not here.
void check_tls(const TlsFiles& tls);

// What a node serves with: insecure without TLS; else its certificate and key, and it
// requires and verifies a client certificate signed by the CA. Throws as check_tls.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsFiles& tls);

// What a node (or the launcher) calls with: insecure without TLS; else the CA to verify the
// server and its own certificate and key to present. Throws as check_tls.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsFiles& tls);

}  // namespace hivemind::runtime
