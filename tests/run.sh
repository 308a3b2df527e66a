#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Rust, Java 17 and Maven:
# installs what is missing (apt packages for rdkafka's build, a JRE, Maven, Python's venv, the
# PostgreSQL and MariaDB servers the database tests start, Chromium and chromedriver for the
# web console's tests), then runs
# rustfmt, clippy and every test. Kafka 4.3.1's jars are fetched by the test harness itself,
# through Maven, into ~/.cache/tributary; kube-apiserver and etcd for the operator's tests and
# helm for the chart's are built there from the Go module proxy (tests/kubernetes, tests/helm).
# Prints how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
phase_started=$started
phase() {
    local now
    now=$(date +%s)
    if [ -n "${current_phase:-}" ]; then
        printf '### phase %-10s %4ds\n' "$current_phase" $((now - phase_started))
    fi
    current_phase=$1
    phase_started=$now
    printf '### %s\n' "$1"
}

phase install
packages=(build-essential cmake pkg-config libssl-dev libsasl2-dev zlib1g-dev libzstd-dev maven curl
    postgresql mariadb-server mariadb-client openssl unzip chromium chromium-driver)
# A JDK, not only a runtime: the tests compile the Java programs of tests/fixtures/java.
command -v javac >/dev/null 2>&1 || packages+=(openjdk-17-jdk-headless)
# The schema tests make a Python venv (Confluent's serializers, and a Java 25 runtime for the
# Schema Registry) with pip.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || packages+=(python3 python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
# The Kubernetes API server and etcd for the operator's tests, then helm for the chart's
# (built once per machine, Go fetched from the module proxy if missing); in the background,
# beside the Rust build.
kubernetes_log=$(mktemp)
(bash tests/kubernetes/build.sh && bash tests/helm/build.sh) >"$kubernetes_log" 2>&1 &
kubernetes_build=$!

phase fmt
cargo fmt --all -- --check

phase clippy
cargo clippy --workspace --all-targets --locked -- -D warnings

phase build
cargo test --workspace --locked --no-run

phase kubernetes
if ! wait "$kubernetes_build"; then
    cat "$kubernetes_log" >&2
    echo "building the Kubernetes API server or helm failed" >&2
    exit 1
fi

phase test
# The integration tests spend much of their time waiting on brokers, databases and polled
# deadlines (the cores were 43% idle with a test thread per core), so they run one thread more
# than there are cores: on 2 cores the integration binary took 746 s with 2 threads, 548 s
# with 3 and 568 s with 4 (8% idle).
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-$(($(nproc) + 1))}"
cargo test --workspace --locked

phase done
printf '### total %ds\n' $(($(date +%s) - started))
