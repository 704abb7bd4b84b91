#!/usr/bin/env bash
# Debian packages the tests need: libmagic (sniffing), nginx (compose smoke
# test), chromium + chromium-driver (browser tests), ffmpeg (ffprobe + poster frames of
# video and audio). Installed when missing and
# we are root; otherwise we say what to install.
set -euo pipefail
packages=(libmagic1 nginx-light chromium chromium-driver ffmpeg)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
