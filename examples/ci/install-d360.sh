#!/usr/bin/env bash
# Installs a released d360 in seconds: downloads this machine's archive and the release's
# SHA256SUMS (names as d360-release.yml publishes them), checks the archive with
# `sha256sum -c`, and puts `d360` into a bin folder. Nothing is compiled.
#
#   D360_VERSION=0.1.0 ci/install-d360.sh
#
# D360_VERSION       the release to install, `0.1.0` or `v0.1.0` (required: pin it)
# D360_BIN_DIR       where `d360` goes (default ~/.local/bin); on GitHub it is added to
#                    $GITHUB_PATH, elsewhere put it on PATH yourself
# D360_CACHE_DIR     keeps the downloaded archive and SHA256SUMS (default ~/.cache/d360):
#                    cache this folder keyed on the version and the next run downloads
#                    nothing; the checksum is checked on every run all the same
# D360_REPOSITORY    owner/name of the GitHub repository that publishes d360's releases: the
#                    one place to set where d360 comes from (inside the d360 Action it
#                    defaults to the Action's own repository)
# D360_DOWNLOAD_URL  where releases are downloaded from instead (a mirror); the tag and file
#                    name are appended
set -euo pipefail

: "${D360_VERSION:?set D360_VERSION to the release to install, e.g. 0.1.0}"
tag="v${D360_VERSION#v}"
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    *)
        echo "install-d360: no release build for $(uname -s) $(uname -m)" >&2
        exit 1
        ;;
esac
name="d360-$tag-$target"
repository="${D360_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"
if [ -z "${D360_DOWNLOAD_URL:-}" ] && [ -z "$repository" ]; then
    echo "install-d360: set D360_REPOSITORY to owner/name of the GitHub repository that publishes d360 releases (or D360_DOWNLOAD_URL to a mirror)" >&2
    exit 1
fi
base="${D360_DOWNLOAD_URL:-https://github.com/$repository/releases/download}/$tag"
bin_dir="${D360_BIN_DIR:-$HOME/.local/bin}"
cache="${D360_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/d360}/$tag"
mkdir -p "$cache" "$bin_dir"

for file in "$name.tar.gz" SHA256SUMS; do
    if [ ! -s "$cache/$file" ]; then
        url="$base/$file"
        status=0
        code="$(curl --silent --show-error --location --retry 3 --write-out '%{http_code}' \
            --output "$cache/$file.part" "$url")" || status=$?
        # An HTTP answer other than 200 (000 for file:// and when no answer came).
        if [ "$status" -ne 0 ] || { [ "$code" != 200 ] && [ "$code" != 000 ]; } || [ ! -s "$cache/$file.part" ]; then
            rm -f "$cache/$file.part"
            case "$code" in
                404) why="HTTP 404: no such release or file; check D360_VERSION ($D360_VERSION) and D360_REPOSITORY" ;;
                000) why="no answer (curl exit $status)" ;;
                *) why="HTTP $code" ;;
            esac
            echo "install-d360: cannot download $url: $why" >&2
            exit 1
        fi
        mv "$cache/$file.part" "$cache/$file"
    fi
done

if command -v sha256sum >/dev/null; then sha=(sha256sum); else sha=(shasum -a 256); fi
line="$(awk -v file="$name.tar.gz" '$2 == file || $2 == "*" file' "$cache/SHA256SUMS")"
if [ -z "$line" ]; then
    echo "install-d360: SHA256SUMS of $tag has no line for $name.tar.gz" >&2
    exit 1
fi
if ! (cd "$cache" && printf '%s\n' "$line" | "${sha[@]}" -c --status -); then
    # A bad download must not stay in the cache.
    rm -f "$cache/$name.tar.gz"
    echo "install-d360: $name.tar.gz does not match its SHA256SUMS line; not installed" >&2
    exit 1
fi

unpacked="$(mktemp -d)"
trap 'rm -rf "$unpacked"' EXIT
tar -xzf "$cache/$name.tar.gz" -C "$unpacked" "$name/d360"
install -m 755 "$unpacked/$name/d360" "$bin_dir/d360"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin_dir" >>"$GITHUB_PATH"; fi
"$bin_dir/d360" --version
