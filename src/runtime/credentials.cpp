#include "credentials.hpp"

#include "hivemind/error.hpp"

namespace hivemind::runtime {

// First step: TLS is not wired yet; a deployment asking for it is refused, not left open.
void check_tls(const TlsFiles& tls) {
  if (tls.enabled()) throw InputError("--tls-ca: TLS is not supported by this build yet");
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsFiles& tls) {
  check_tls(tls);
  return grpc::InsecureServerCredentials();
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsFiles& tls) {
  check_tls(tls);
  return grpc::InsecureChannelCredentials();
}

}  // namespace hivemind::runtime
