#!/usr/bin/env bash
# Installs the cargo tools of the safety checks into ~/.cargo/bin, from
# crates.io, at pinned versions: `ci/install-tools.sh [TOOL...]` (all when
# none is named): cargo-mutants (mutation testing), cargo-tarpaulin (line
# coverage), cargo-afl (fuzzing; it builds AFL++ from the source it ships).
set -euo pipefail
declare -A pinned=([cargo-mutants]=27.1.0 [cargo-tarpaulin]=0.37.5 [cargo-afl]=0.18.2)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(cargo-mutants cargo-tarpaulin cargo-afl)
for tool in "${tools[@]}"; do
  version=${pinned[$tool]:?"unknown tool $tool (one of ${!pinned[*]})"}
  if ! cargo install --list | grep -q "^$tool v$version:"; then
    cargo install --locked "$tool" --version "$version"
  fi
done
if [[ " ${tools[*]} " == *" cargo-afl "* ]] && ! compgen -G "$HOME/.local/share/afl.rs/rustc-*/afl.rs-${pinned[cargo-afl]}/afl/bin/afl-fuzz" >/dev/null; then
  cargo afl config --build
fi
