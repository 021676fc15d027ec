#!/usr/bin/env bash
# Copy the real-face sources listed in train/sources.tsv into $1 (default build/sources),
# each path at its recorded commit. Needs git and network access to GitHub; ~200 MB (measured 2026-12-02, `du --apparent-size`; 140 MB on 2026-12-01).
# With a local mirror of a repository (a bare git directory), set MIRRORS=DIR holding
# DIR/<owner>+<name>/repo (or .../repo/.git) and nothing is downloaded. A path ending in .zip
# (a repository's zipped sample clips) is unpacked into its folder. SOURCES_TSV=FILE reads
# another list of the same form (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-build/sources}
mkdir -p "$dest"
grep -v '^#' "${SOURCES_TSV:-train/sources.tsv}" | while IFS=$'\t' read -r role repo commit path folder; do
    [ -n "$repo" ] || continue
    target="$dest/$folder"
    mkdir -p "$target"
    git_dir=""
    if [ -n "${MIRRORS:-}" ]; then
        for candidate in "$MIRRORS/${repo/\//+}/repo/.git" "$MIRRORS/${repo/\//+}/repo"; do
            if git --git-dir="$candidate" cat-file -e "$commit^{commit}" 2>/dev/null; then git_dir=$candidate; break; fi
        done
    fi
    if [ -z "$git_dir" ]; then
        git_dir="$dest/.git-cache/${repo/\//+}"
        [ -d "$git_dir" ] || git init -q --bare "$git_dir"
        if ! git --git-dir="$git_dir" cat-file -e "$commit^{commit}" 2>/dev/null; then
            git --git-dir="$git_dir" fetch -q --depth 1 "https://github.com/$repo" "$commit"
        fi
    fi
    echo "$role: $repo@${commit:0:12}:$path -> $target"
    if [ "$(git --git-dir="$git_dir" cat-file -t "$commit:$path")" = "tree" ]; then
        git --git-dir="$git_dir" archive "$commit" "$path" | tar -x -C "$target" --strip-components="$(tr -cd / <<<"$path" | wc -c | awk '{print $1 + 1}')"
    elif [[ $path == *.zip ]]; then
        git --git-dir="$git_dir" show "$commit:$path" > "$target/.source.zip"
        python3 -m zipfile -e "$target/.source.zip" "$target" && rm "$target/.source.zip"
    else
        git --git-dir="$git_dir" show "$commit:$path" > "$target/$(basename "$path")"
    fi
done
