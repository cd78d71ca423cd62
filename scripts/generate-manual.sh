#!/usr/bin/env bash
# Regenerates the man pages in docs/man/ with swift-argument-parser's generate-manual plugin, from the commands'
# own help (so the pages never say something `--help` does not).
#
#   scripts/generate-manual.sh        # then: man docs/man/onboard.1
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --disable-sandbox plugin generate-manual --configuration debug --date "$(date +%Y-%m-%d)" >/dev/null
mkdir -p docs/man
for tool in onboard telegent-sim; do
    cp ".build/plugins/GenerateManual/outputs/$tool/$tool.1" "docs/man/$tool.1"
done
echo "wrote docs/man/onboard.1 and docs/man/telegent-sim.1"
