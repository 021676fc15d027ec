#!/usr/bin/env bash
# The edge runtime on emulated Raspberry Pi CPUs: an arm64 Debian 12 (the base of Raspberry
# Pi OS Bookworm, Python 3.11) run by qemu-user as cortex-a72 (Pi 4) and cortex-a76 (Pi 5).
#
#   sudo benchmarks/pi_emulation.sh            # prints a pass/fail table per CPU model
#
# Needs root (debootstrap, chroot, mounts), Debian's qemu-user-static and debootstrap, and
# network access to deb.debian.org and PyPI the first time. The root file system is built
# once and cached in $EDGE_EMO_PI_CACHE (default /var/tmp/edge-emo-pi); edge-emo is
# installed into a venv there with pip from a wheel of this checkout, as a Pi user would,
# so the aarch64 environment markers in pyproject.toml pick the packages.
# Emulated timings are NOT Pi timings: the table reports pass/fail, not speed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${EDGE_EMO_PI_CACHE:-/var/tmp/edge-emo-pi}
rootfs=$cache/rootfs
cpus=${EDGE_EMO_PI_CPUS:-"cortex-a72 cortex-a76"}
steps=${EDGE_EMO_PI_STEPS:-"info classifier mqtt run zoom"}  # `run` takes ~10+ minutes per CPU
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
host_python=${PYTHON:-$repo/.venv/bin/python}

[ "$(id -u)" = 0 ] || { echo "pi_emulation: run as root (debootstrap and chroot need it)" >&2; exit 2; }
for tool in debootstrap qemu-aarch64-static; do
    command -v "$tool" >/dev/null || { echo "pi_emulation: apt-get install qemu-user-static debootstrap" >&2; exit 2; }
done

# 1. Let the kernel run aarch64 binaries through qemu (F: works inside the chroot).
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
fi

# 2. The arm64 root file system, once. libglib2.0-0, libgl1, libegl1 and libgles2 are what
#    OpenCV and MediaPipe need on a Raspberry Pi OS Lite image.
if [ ! -x "$rootfs/usr/bin/python3" ]; then
    mkdir -p "$cache"
    debootstrap --arch=arm64 --variant=minbase \
        --include=python3,python3-venv,libglib2.0-0,libegl1,libgles2,libgl1,ca-certificates \
        bookworm "$rootfs" "$mirror"
fi
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
# pip in the chroot trusts what the host trusts (machines behind a TLS-inspecting proxy).
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/host-ca-certificates.crt"

mounted=()
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
for fs in proc sys dev; do
    if ! mountpoint -q "$rootfs/$fs"; then
        mount --bind "/$fs" "$rootfs/$fs"
        mounted+=("$rootfs/$fs")
    fi
done

# 3. edge-emo from this checkout, installed with pip in a venv, as on a Pi.
rm -rf "$cache/dist" && mkdir -p "$cache/dist"
"$host_python" -m pip wheel -q --no-deps "$repo" -w "$cache/dist"
work=$rootfs/opt/edge-emo
rm -rf "$work" && mkdir -p "$work"
wheel=$(basename "$(ls "$cache"/dist/*.whl)")
cp "$cache/dist/$wheel" "$repo/tests/data/face_clip.mp4" "$work/"
"$host_python" "$repo/benchmarks/pi_reference.py" "$repo/tests/data/face_clip.mp4" "$work"
# A face too small for the whole frame (the clip shrunk into 1280x720): the zoom must find it.
"$host_python" -m edge_emo.benchmarks.zoom_cost "$repo/tests/data/face_clip.mp4" --shrink 0.3 \
    --write "$work/far.mp4" --frames 90
in_root() {
    chroot "$rootfs" /usr/bin/env -i PATH=/opt/venv/bin:/usr/bin:/bin HOME=/root \
        PIP_CERT=/etc/ssl/certs/host-ca-certificates.crt ${PIP_INDEX_URL:+PIP_INDEX_URL=$PIP_INDEX_URL} "$@"
}
if [ ! -x "$rootfs/opt/venv/bin/python" ]; then
    in_root /usr/bin/python3 -m venv /opt/venv
fi
in_root /opt/venv/bin/pip install -q --upgrade --force-reinstall --no-deps "/opt/edge-emo/$wheel"
in_root /opt/venv/bin/pip install -q "/opt/edge-emo/$wheel"
in_root /opt/venv/bin/pip list 2>/dev/null | grep -iE '^(edge-emo|mediapipe|ai-edge-litert|numpy|opencv)' \
    | sed 's/^/  aarch64: /'

# 4. The smoke job on each CPU model.
check_classifier='
import json, sys, numpy as np
from edge_runtime.model.classifier import EmotionClassifier
ref = json.load(open("/opt/edge-emo/reference.json"))
c = EmotionClassifier.create()
p = c.predict(np.load("/opt/edge-emo/window.npy"))
diff = float(np.abs(p - np.array(ref["probs"])).max())
same = int(p.argmax()) == ref["top"]
verdict = "same as" if same else "DIFFERS from"
print(f"{c.backend}: top-1 {c.labels[int(p.argmax())]} ({verdict} x86), max |diff| {diff:.2g}")
sys.exit(0 if same and diff <= 1e-3 else 1)
'
# MQTT: the emulated device publishes through its SQLite queue to a Mosquitto on the host's
# loopback (the chroot shares the host's network) and must see every PUBACK.
check_mqtt='
import sys
from edge_runtime.mqtt.messages import emotion_message, emotion_topic, encode
from edge_runtime.mqtt.publisher import MqttPublisher, PublisherOptions
from edge_runtime.timeline import SecondEntry
url, device = sys.argv[1], sys.argv[2]
p = MqttPublisher.create(PublisherOptions.from_url(url, device=device, queue=f"/tmp/{device}.sqlite"))
for t in range(5):
    e = SecondEntry(t, True, {"neutral": 1.0}, "neutral", 1.0, 30, 30, 1)
    p.publish(emotion_topic(p.prefix, device), encode(emotion_message(e, device=device, source="pi-check", model={})))
left = p.close(flush_timeout_s=60)
print(f"mqtt: {p.delivered} of 5 acknowledged, {left} left queued")
sys.exit(0 if p.delivered == 5 and left == 0 else 1)
'
mqtt_port=""
if [[ " $steps " == *" mqtt "* ]] && command -v mosquitto >/dev/null; then
    mqtt_port=$("$host_python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    mosquitto -p "$mqtt_port" > "$cache/mosquitto.log" 2>&1 &
    mosquitto_pid=$!
    trap 'cleanup; kill $mosquitto_pid 2>/dev/null || true' EXIT
fi
cat > "$work/summarise.py" <<'PY'
import json, sys
seconds = json.load(open(sys.argv[1]))["seconds"]
tops = " ".join(s["top"] or "-" for s in seconds)
faces = sum(s["face"] for s in seconds)
print(len(seconds), "seconds,", faces, "with a face; top:", tops)
sys.exit(1 if "--every-second" in sys.argv and faces < len(seconds) else 0)
PY
declare -A result
for cpu in $cpus; do
    echo "== $cpu"
    step() {  # name, command...
        local name=$1; shift
        if [[ " $steps " != *" $name "* ]]; then result[$cpu,$name]="not run"; return; fi
        local started=$SECONDS
        if in_root QEMU_CPU="$cpu" "$@" > "$cache/$cpu-$name.log" 2>&1; then
            result[$cpu,$name]="pass ($((SECONDS - started)) s)"
        else
            result[$cpu,$name]="FAIL (exit $?; $cache/$cpu-$name.log)"
        fi
        tail -n 3 "$cache/$cpu-$name.log" | sed 's/^/   /'
    }
    step info /opt/venv/bin/edge-emo info
    step classifier /opt/venv/bin/python -c "$check_classifier"
    if [ -n "$mqtt_port" ]; then
        step mqtt /opt/venv/bin/python -c "$check_mqtt" "mqtt://127.0.0.1:$mqtt_port/pi" "$cpu"
    elif [[ " $steps " == *" mqtt "* ]]; then
        result[$cpu,mqtt]="not run (no mosquitto)"
    else
        result[$cpu,mqtt]="not run"
    fi
    step run /bin/sh -c "edge-emo run /opt/edge-emo/face_clip.mp4 -o /tmp/face_clip-$cpu.json \
        --overwrite -q && python /opt/edge-emo/summarise.py /tmp/face_clip-$cpu.json"
    step zoom /bin/sh -c "edge-emo run /opt/edge-emo/far.mp4 -o /tmp/far-$cpu.json --overwrite -q \
        && python /opt/edge-emo/summarise.py /tmp/far-$cpu.json --every-second"
done

echo
printf '| %-10s | %-30s | %-30s | %-30s | %-30s | %-30s |\n' "CPU" "edge-emo info" "classifier vs x86" "MQTT publish (5 entries)" "edge-emo run (test clip)" "small face (zoom)"
printf '|%s|%s|%s|%s|%s|%s|\n' "------------" "--------------------------------" "--------------------------------" "--------------------------------" "--------------------------------" "--------------------------------"
failed=0
for cpu in $cpus; do
    printf '| %-10s | %-30s | %-30s | %-30s | %-30s | %-30s |\n' "$cpu" "${result[$cpu,info]}" "${result[$cpu,classifier]}" "${result[$cpu,mqtt]}" "${result[$cpu,run]}" "${result[$cpu,zoom]}"
    [[ "${result[$cpu,info]}${result[$cpu,classifier]}${result[$cpu,mqtt]}${result[$cpu,run]}${result[$cpu,zoom]}" == *FAIL* ]] && failed=1
done
echo "(emulated with $(qemu-aarch64-static --version | head -n 1); run times are emulation times, not Pi timings)"
exit $failed
