#!/usr/bin/env bash
# The main job: installs missing packages, builds Heed, compiles the shipped seq2seq example
# examples/reverse (a Bahdanau-attention GRU encoder-decoder trained by examples/reverse/train.py
# to output its input backwards) into a module, and translates with it on the CPU: a few
# sentences as words with beam search, then all 200 held-out sequences (exact-match accuracy),
# and writes the attention heatmap of one sentence as SVG.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HEED_BUILD_DIR:-$root/build}
example=$root/examples/reverse
module=$build/reverse.heedm
vocab=$example/vocab.txt

"$root/.ci/build.sh" heed-compile heed-run
"$build/bin/heed-compile" "$example/model.heed" -o "$module"
echo "compiled $example/model.heed -> $module"

words=$build/reverse-input.txt
printf '%s\n' "a b c" "d e f g h" "j a j b j c" "c a f e b a d" "i h g f e d c b a j" > "$words"
echo "== heed-run translate (beam 4): source -> output"
"$build/bin/heed-run" translate "$module" --src="$words" --beam=4 \
  --src-vocab="$vocab" --tgt-vocab="$vocab" --attention-svg="$build/reverse-attention.svg" \
  > "$build/reverse-output.txt"
paste -d'\t' "$words" "$build/reverse-output.txt" | sed 's/\t/   ->   /'
echo "attention heatmap of the first sentence: $build/reverse-attention.svg"

echo "== 200 held-out sequences (lengths 3-10, never seen in training), greedy"
"$build/bin/heed-run" translate "$module" --src="$example/heldout.src.txt" > "$build/reverse-heldout.txt"
correct=$(paste -d'|' "$build/reverse-heldout.txt" "$example/heldout.tgt.txt" |
  awk -F'|' '$1 == $2' | wc -l)
echo "exact match: $correct / $(wc -l < "$example/heldout.tgt.txt")"
