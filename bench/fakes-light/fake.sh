#!/bin/sh
# Fan-out bench fake for kubectl and istioctl: a remote call that takes AKICTL_FAKE_DELAY_MS and costs
# almost no CPU. It answers what akictl parses and changes nothing: the bench's fake API already holds the
# state every gate of Day 1 expects. (The test suite's fakes are Node programs that also mutate the fake
# API; on two cores 194 of them need ~35 s of CPU, which would measure the fakes, not akictl's fan-out.)
tool=$(basename "$0")
[ -n "$AKICTL_FAKE_LOG" ] && printf '%s %s\n' "$tool" "$*" >> "$AKICTL_FAKE_LOG"
sleep "$(awk "BEGIN { print ${AKICTL_FAKE_DELAY_MS:-0} / 1000 }")"
ctx=
for arg in "$@"; do case "$arg" in --context=*) ctx=${arg#--context=} ;; esac; done
# Istio's own views (remote-clusters, proxy-config, istiod's networkz through kubectl exec): answers the bench
# computed beforehand from its fake API, one file per tool, verb and context.
answer="${AKICTL_BENCH_ANSWERS:-/nonexistent}/$tool-$1-$ctx"
[ -f "$answer" ] && cat "$answer"
case "$tool $1" in
  "istioctl version") echo '{"clientVersion":{"version":"1.20.0"}}' ;;
  "kubectl version") echo '{"clientVersion":{"gitVersion":"v1.29.0"}}' ;;
  "istioctl create-remote-secret") printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-remote-secret\nstringData:\n  kubeconfig: "token: bench-token-0123456789abcdef"\n' ;;
  "kubectl create") printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\n' ;;
esac
# Drain a manifest on stdin, as the real tools do.
[ -t 0 ] || cat > /dev/null
exit 0
