#!/usr/bin/env bash
# A walk through the real app in tmux, as a family would use it, capturing each screen as
# text: library -> reader (with every notice this computer gives) -> the child's turn ->
# Sidekick's turn -> the end of the book -> progress -> settings -> quit with q.
#
#   tests/benchmarks/walkthrough.sh [COLUMNS ROWS [OUT_DIR]]     (default 80 24)
#
# Runs in a fresh data directory (SIDEKICK_HOME) with one reader, Zoë (grade 2, "a lot",
# waits 5 s), added on the command line first. PYTHON picks the interpreter (default:
# python3); run it from the repository root. Each screen goes to OUT_DIR/NN-name.txt; the
# script fails if the app is still running after q.
set -euo pipefail

cols=${1:-80}
rows=${2:-24}
out=${3:-walkthrough-${cols}x${rows}}
python=${PYTHON:-python3}
session="sidekick-walk-$$"
home=$(mktemp -d)
mkdir -p "$out"
export SIDEKICK_HOME="$home"

cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT

"$python" -m sidekick readers add "Zoë" --grade 2 --share a-lot --stall 5 >/dev/null

n=0
shot() {  # shot NAME: wait for the screen to settle, then save the pane as text
    sleep "${2:-1.5}"
    n=$((n + 1))
    tmux capture-pane -p -t "$session" >"$out/$(printf %02d "$n")-$1.txt"
}
keys() { tmux send-keys -t "$session" "$@"; }
wait_for() {  # wait_for TEXT [SECONDS]: until TEXT is on screen
    local deadline=$((SECONDS + ${2:-60}))
    until tmux capture-pane -p -t "$session" | grep -qF -- "$1"; do
        if ((SECONDS > deadline)); then
            echo "walkthrough: '$1' did not appear" >&2
            tmux capture-pane -p -t "$session" >&2
            exit 1
        fi
        sleep 0.3
    done
}

tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
    "SIDEKICK_HOME='$home' PYTHONPATH='$PWD' '$python' -m sidekick; sleep 30"
wait_for "Enter to read"
shot library
keys Enter                                   # no reader chosen yet: who is reading?
wait_for "Who is reading"
shot who-is-reading
keys Home Enter                              # Zoë
wait_for "Your turn"
shot reader-with-notices 4
for _ in 1 2 3 4 5 6; do                     # "a lot": Zoë reads pages 1-4 (no microphone
    tmux capture-pane -p -t "$session" | grep -qF "Sidekick is reading" && break
    keys Enter                               # here: Enter says the page is read)
    sleep 2
done
wait_for "Sidekick is reading" 60
shot sidekick-turn 1
for _ in 1 2 3; do                           # Sidekick's page, then Zoë's last one
    tmux capture-pane -p -t "$session" | grep -qF "You finished" && break
    keys n
    sleep 2
done
wait_for "You finished" 60
shot end-of-book
keys Escape
wait_for "Enter to read"
keys p
wait_for "Zoë"
shot progress 2
keys Escape
wait_for "Enter to read"
keys s
wait_for "Ctrl+S saves"
shot settings
keys Escape
wait_for "Enter to read"
shot library-again
keys q
sleep 2
if tmux capture-pane -p -t "$session" | grep -qF "Enter to read"; then
    echo "walkthrough: q did not quit the app" >&2
    exit 1
fi
echo "walkthrough: $n screens in $out"
