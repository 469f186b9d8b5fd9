"""Heed: compile and run seq2seq and attention models (ONNX, .heed, .mlir) from Python.

    import heed, numpy as np
    module = heed.compile("model.onnx")            # or heed.load("model.heedm")
    y = module["main"](np.ones((2, 8, 64), np.float32))
    translator = heed.Translator("reverse.heedm")
    print(translator.translate_batch([[3, 4, 5]], beam_size=4)[0].hypotheses[0])

Arrays go in and come out as numpy arrays: f32/f64/f16 as numpy's, bf16 as a uint16 view of the
bits, bool and (unsigned) integers as numpy's. C-contiguous, aligned inputs are read in place (no
copy; others are copied once); outputs are read-only views of the runtime's buffers (no copy
either; `np.array(y)` gives a writable copy). Errors raise heed.Error with the located message.
The runtime serialises the calls made on one device's copy of a module, so a Module or Function may
be called from several Python threads at once; the GIL is released while Heed works.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as _np

from . import _heed

__version__ = "@HEED_VERSION@"


class Error(RuntimeError):
    """A Heed error: a bad model, input or file, with the message naming the place."""


_heed._set_error_type(Error)


@dataclass(frozen=True)
class Value:
    """One input or output of a function: name, element type and dims (ints, or the symbol
    names the model gave its dynamic dims, or None for an unnamed dynamic dim)."""

    name: str
    dtype: str
    dims: tuple


class Function:
    """An entry point of a module: call it with numpy arrays (positional, or by input name)."""

    def __init__(self, function):
        self._f = function
        self.name = function.name
        self.inputs = [Value(*v) for v in function.inputs]
        self.outputs = [Value(*v) for v in function.outputs]

    def __call__(self, *arrays, device: str = "cpu", **named):
        """One numpy array for a one-output function, else a tuple of them."""
        return self._f.call(arrays, device, named)

    def __repr__(self):
        return f"<heed.Function {self.name}({', '.join(v.name for v in self.inputs)})>"


class Module:
    """A compiled module: its functions by name (`module["main"]`), saved with save()."""

    def __init__(self, module):
        self._m = module

    @property
    def functions(self) -> List[str]:
        return list(self._m.functions)

    def __getitem__(self, name: str) -> Function:
        if name not in self._m.functions:
            raise KeyError(f"module has no function '{name}' (it has {', '.join(self._m.functions)})")
        return Function(self._m.function(name))

    def __contains__(self, name):
        return name in self._m.functions

    def save(self, path: str) -> None:
        """Writes the module file (what heed-compile writes; heed.load and heed-run read it), as
        heed-compile does: to a temporary file renamed into place, refusing a target that is a
        link, a FIFO, a directory or a device."""
        self._m.save(str(path))

    def to_bytes(self) -> bytes:
        return self._m.to_bytes()

    def close(self) -> None:
        """Frees the module's loaded copies now (rather than when the last reference goes); later
        calls of its functions or translators raise heed.Error. Returned arrays stay valid."""
        self._m.close()

    @property
    def closed(self) -> bool:
        return self._m.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<heed.Module {self._m.name}: {', '.join(self._m.functions)}>"


def compile(path: str, *, decoder: Optional[str] = None, binds: Sequence[str] = (),
            target: str = "cpu", masked_rows: str = "zero", fusion: bool = True) -> Module:
    """Compiles a .heed, .onnx or .mlir model in this process (what heed-compile does).

    target: "cpu", "vulkan" or "all"; masked_rows: "zero" or "nan" (what a fully masked attention
    row gives); fusion=False keeps the decomposed graph. With decoder=, path is the encoder and the
    module gets encode and decode_step for heed.Translator; binds are "OUTPUT:INPUT" strings (the
    decoder output feeding that input at the next step), as heed-compile's --decoder and --bind.
    """
    if binds and decoder is None:
        raise Error("heed.compile: binds= needs decoder=")
    if target not in ("cpu", "vulkan", "all"):
        raise Error(f"heed.compile: unknown target '{target}'; expected cpu, vulkan or all")
    if masked_rows not in ("zero", "nan"):
        raise Error(f"heed.compile: unknown masked_rows '{masked_rows}'; expected zero or nan")
    return Module(_heed.compile(str(path), target, masked_rows, bool(fusion),
                                "" if decoder is None else str(decoder), [str(b) for b in binds]))


def load(path: str) -> Module:
    """Loads a module file (.heedm)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Error(f"{path}: cannot read module file: {e.strerror}") from None
    return Module(_heed.load_bytes(data, str(path)))


def load_bytes(data: bytes, name: str = "<bytes>") -> Module:
    """Loads a module from its bytes (Module.to_bytes, or a file read by the caller)."""
    return Module(_heed.load_bytes(bytes(data), name))


def set_num_threads(n: int) -> None:
    """CPU threads for every later call (0: the default, OMP_NUM_THREADS or one per core)."""
    _heed.set_num_threads(int(n))


def get_num_threads() -> int:
    return _heed.get_num_threads()


def _debug_input_stats() -> dict:
    """For tests: {'wrapped': inputs passed to the runtime in place, 'copied': inputs copied
    (both since the process started), 'last_call_data': the data addresses the runtime got for
    this thread's last Function call's inputs}."""
    return _heed.debug_input_stats()


@dataclass
class TranslationResult:
    """CTranslate2's result: the n-best hypotheses (token ids, or words with vocabularies),
    their scores (with return_scores) and attention (with return_attention: one [target+1,
    source] array per hypothesis); and, with return_log_prob, each hypothesis's per-token
    log-probabilities (one per token, then </s>'s when it ended; their sum is the hypothesis's
    log-probability, its score before the length penalty)."""

    hypotheses: list
    scores: list = field(default_factory=list)
    attention: list = field(default_factory=list)
    log_probs: list = field(default_factory=list)


@dataclass
class ScoringResult:
    """CTranslate2's result: each target token's log-probability (then </s>'s) and the tokens."""

    log_probs: List[float]
    tokens: list


class Translator:
    """Decodes with a module that has `encode` and `decode_step` (docs/decoding.md), with
    CTranslate2's argument and result names. Sources and targets are token-id lists, or word
    lists / strings when vocabularies are given (one word per line, the line number is its id).

    With SentencePiece models (source_spm / target_spm: .model files, as heed-run's --src-spm /
    --tgt-spm, tokenized by the same C++ code), a string source is text: SentencePiece splits it
    into pieces, and hypotheses come back as detokenized strings. Given a vocabulary too, each
    piece maps to the vocabulary's id of that word (a piece it lacks to `unk`, else to its <unk>
    line, else heed.Error); without one the model's ids are SentencePiece's, and bos/eos/pad must
    be the SentencePiece model's own (heed.Error says which differs)."""

    def __init__(self, module_or_path: Union[str, Module], device: str = "cpu",
                 threads: Optional[int] = None, source_vocabulary: Optional[str] = None,
                 target_vocabulary: Optional[str] = None, bos: int = 1, eos: int = 2, pad: int = 0,
                 source_spm: Optional[str] = None, target_spm: Optional[str] = None,
                 unk: Optional[int] = None):
        module = module_or_path if isinstance(module_or_path, Module) else (
            compile(module_or_path) if str(module_or_path).endswith((".heed", ".onnx", ".mlir"))
            else load(module_or_path))
        if threads is not None:
            set_num_threads(threads)
        self.module = module
        self.device = device
        self._decoder = _heed.Decoder(module._m, device)
        self._bos, self._eos, self._pad = bos, eos, pad
        self._src = self._vocab(source_vocabulary)
        self._tgt = self._vocab(target_vocabulary)
        self._src_spm = self._spm(source_spm, source_vocabulary, unk, [("pad", pad, "<pad>")])
        self._tgt_spm = self._spm(target_spm, target_vocabulary, unk,
                                  [("bos", bos, "<s>"), ("eos", eos, "</s>"), ("pad", pad, "<pad>")])

    @staticmethod
    def _spm(path, vocabulary, unk, special):
        if path is None:
            return None
        spm = _heed.SentencePiece(str(path), "" if vocabulary is None else str(vocabulary),
                                  -1 if unk is None else int(unk))
        for option, value, role in special:
            spm.check_special_id(option, int(value), role)
        return spm

    @staticmethod
    def _vocab(path):
        if path is None:
            return None
        with open(path) as f:
            words = [line.split()[0] if line.split() else "" for line in f]
        return words, {w: i for i, w in enumerate(words)}

    def _ids(self, sentence, vocab, what, spm=None):
        if isinstance(sentence, str) and spm is not None:
            try:
                return spm.encode(sentence)
            except Error as e:
                raise Error(f"{what}: {e}") from None
        if isinstance(sentence, str):
            sentence = sentence.split()
        ids = []
        for token in sentence:
            if isinstance(token, (int, _np.integer)):
                ids.append(int(token))
            elif vocab is not None and token in vocab[1]:
                ids.append(vocab[1][token])
            else:
                raise Error(f"{what}: '{token}' is not a token id"
                            + ("" if vocab is None else " nor in the vocabulary"))
        return ids

    def _words(self, ids):
        if self._tgt_spm is not None:
            return self._tgt_spm.decode(list(ids))
        if self._tgt is None:
            return list(ids)
        words = self._tgt[0]
        return [words[i] if 0 <= i < len(words) else str(i) for i in ids]

    def _labels(self, ids):
        """One label per token: SentencePiece pieces, else words, else the ids."""
        if self._tgt_spm is not None:
            return [self._tgt_spm.label(int(i)) for i in ids]
        return self._words(ids)

    def _options(self, **values):
        o = _heed.DecodeOptions()
        o.bos, o.eos, o.pad = self._bos, self._eos, self._pad
        for name, value in values.items():
            setattr(o, name, value)
        return o

    def translate_batch(self, source, beam_size: Optional[int] = None, num_hypotheses: int = 1,
                        length_penalty: float = 0.0, max_decoding_length: int = 256,
                        min_decoding_length: int = 0, sampling_topk: int = 1,
                        sampling_topp: float = 1.0, sampling_temperature: float = 1.0,
                        repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                        target_prefix=None, return_scores: bool = False,
                        return_attention: bool = False, max_batch_size: int = 32,
                        batch_type: str = "examples", seed: int = 0,
                        return_log_prob: bool = False):
        """Translates a batch of sources; one TranslationResult per source, in order.

        length_penalty is GNMT's alpha, as heed-run's --length-penalty: a hypothesis scores
        log_prob / ((5 + length) / 6) ** alpha (CTranslate2 divides by length ** penalty and
        defaults to 1; Heed defaults to 0, the plain log-probability). The decoding options
        follow CTranslate2 (docs/decoding.md, "Decoding options"): sampling_topk != 1 samples
        (beam_size must be 1; source i draws from std::mt19937_64(seed + i), so a seed gives the
        same output whatever the batching; beam_size defaults to 2, or to 1 when sampling, since
        Heed does not sample within a beam), target_prefix is None or one token list (or None)
        per source, forced first and counted in the score; batch_type="tokens" makes
        max_batch_size a padded token count over sources sorted by length. return_log_prob
        fills each result's log_probs (CTranslate2 names a token's log-probability log_prob in
        its step results)."""
        if beam_size is None:
            beam_size = 1 if sampling_topk != 1 else 2
        if not 1 <= num_hypotheses <= beam_size:
            raise Error(f"translate_batch: num_hypotheses={num_hypotheses} must be between 1 "
                        f"and beam_size={beam_size}")
        if batch_type not in ("examples", "tokens"):
            raise Error(f"translate_batch: batch_type={batch_type!r} must be 'examples' or "
                        "'tokens'")
        if not 0 <= int(seed) < 2 ** 64:
            raise Error(f"translate_batch: seed={seed} must be between 0 and 2**64 - 1")
        sources = [self._ids(s, self._src, f"source {i}", self._src_spm)
                   for i, s in enumerate(source)]
        prefixes = []
        if target_prefix is not None:
            if len(target_prefix) != len(sources):
                raise Error(f"translate_batch: target_prefix has {len(target_prefix)} entries "
                            f"for {len(sources)} sources")
            prefixes = [[] if p is None else self._ids(p, self._tgt, f"target prefix {i}",
                                                         self._tgt_spm)
                        for i, p in enumerate(target_prefix)]
        by_tokens = batch_type == "tokens"
        options = self._options(beam=int(beam_size), n_best=int(num_hypotheses),
                                length_penalty=float(length_penalty),
                                max_length=int(max_decoding_length),
                                min_length=int(min_decoding_length),
                                sampling_topk=int(sampling_topk),
                                sampling_topp=float(sampling_topp),
                                sampling_temperature=float(sampling_temperature),
                                repetition_penalty=float(repetition_penalty),
                                no_repeat_ngram_size=int(no_repeat_ngram_size),
                                seed=int(seed),
                                attention=int(bool(return_attention)),
                                batch_size=1 << 16 if by_tokens else int(max_batch_size),
                                max_batch_tokens=int(max_batch_size) if by_tokens else 0)
        results = []
        for entries in self._decoder.translate(sources, options, prefixes):
            r = TranslationResult([self._words(tokens) for tokens, *_ in entries])
            if return_scores:
                r.scores = [score for _, score, *_ in entries]
            if return_attention:
                r.attention = [attention for *_, attention in entries]
            if return_log_prob:
                r.log_probs = [list(log_probs) for *_, log_probs, _ in entries]
            results.append(r)
        return results

    def score_batch(self, source, target, max_batch_size: int = 32, batch_type: str = "examples"):
        """Log-probabilities of each target given its source (teacher forcing); batch_type as
        translate_batch's."""
        if batch_type not in ("examples", "tokens"):
            raise Error(f"score_batch: batch_type={batch_type!r} must be 'examples' or 'tokens'")
        sources = [self._ids(s, self._src, f"source {i}", self._src_spm)
                   for i, s in enumerate(source)]
        targets = [self._ids(t, self._tgt, f"target {i}", self._tgt_spm)
                   for i, t in enumerate(target)]
        by_tokens = batch_type == "tokens"
        options = self._options(batch_size=1 << 16 if by_tokens else int(max_batch_size),
                                max_batch_tokens=int(max_batch_size) if by_tokens else 0)
        results = []
        for tokens, (log_probs, _) in zip(targets, self._decoder.score(sources, targets, options)):
            results.append(ScoringResult(list(log_probs), self._labels(tokens) + ["</s>"]))
        return results
