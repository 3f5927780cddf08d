#!/bin/sh
# Fan-out bench fake for kubectl and istioctl: a remote call that takes AKICTL_FAKE_DELAY_MS and costs
# almost no CPU. It answers what akictl parses and changes nothing: the bench's fake API already holds the
# state every gate of Day 1 expects. (The test suite's fakes are Node programs that also mutate the fake
# API; on two cores 194 of them need ~35 s of CPU, which would measure the fakes, not akictl's fan-out.)
tool=$(basename "$0")
[ -n "$AKICTL_FAKE_LOG" ] && printf '%s %s\n' "$tool" "$*" >> "$AKICTL_FAKE_LOG"
sleep "$(awk "BEGIN { print ${AKICTL_FAKE_DELAY_MS:-0} / 1000 }")"
case "$tool $1" in
  "istioctl version") echo '{"clientVersion":{"version":"1.20.0"}}' ;;
  "kubectl version") echo '{"clientVersion":{"gitVersion":"v1.29.0"}}' ;;
  "istioctl create-remote-secret") printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-remote-secret\nstringData:\n  kubeconfig: "token: bench-token-0123456789abcdef"\n' ;;
  "kubectl create") printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\n' ;;
esac
# Drain a manifest on stdin, as the real tools do.
[ -t 0 ] || cat > /dev/null
exit 0
