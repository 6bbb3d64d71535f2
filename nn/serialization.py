"""Checkpoint files: ``save(obj, path)`` and ``load(path)`` without pickle.

A checkpoint is an ordinary ``.npz`` archive (``np.savez``, readable by ``np.load``). ``obj`` may
be any nesting of dicts (str or int keys), lists and tuples whose leaves are ``Tensor``,
ndarrays, NumPy scalars, Python ``int float bool str`` or ``None``: a model's ``state_dict()``,
an optimizer's ``state_dict()``, or a dict holding both and an epoch counter. Each array leaf
becomes one archive entry; one more entry, ``__autodiff_meta__``, holds UTF-8 JSON describing
the structure and the type of every leaf, so ``load`` rebuilds the same object: Tensors come
back as ``Tensor`` (same dtype, ``requires_grad=False``), ndarrays as ndarrays, tuples as
tuples, int keys as int keys.

Loading never executes code: arrays are read with ``allow_pickle=False`` and the structure is
plain JSON. Saving is atomic: the archive is written to a temporary file next to ``path``,
flushed to disk, then renamed onto ``path``, so a crash leaves either the old file or the new
one at ``path``. An error during `save` removes the temporary file; only a process killed in
the middle of writing leaves it behind (a hidden ``.nn-save-<hex>.tmp`` beside ``path``). A
path that names a device or a FIFO (``os.devnull``) is written into, as ``open()`` would.

>>> import tempfile, os, numpy as np
>>> state = {"epoch": 3, "weights": {"w": np.eye(2, dtype=np.float32)}, "betas": (0.9, 0.999)}
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save(state, path)
>>> back = load(path)
>>> back["epoch"], back["betas"], back["weights"]["w"].dtype
(3, (0.9, 0.999), dtype('float32'))
"""

import errno
import io
import json
import os
import secrets
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from autodiff import Tensor
from autodiff.devices import check_device

__all__ = ["save", "load"]

META_KEY = "__autodiff_meta__"
FORMAT_NAME = "autodiff-checkpoint"
FORMAT_VERSION = 1


class _FormatError(Exception):
    """The metadata does not describe a valid checkpoint; ``load`` re-raises it as ValueError."""


# ---------------------------------------------------------------------------------- encoding

class _Encoder:
    """Turns a nested object into a JSON-able description plus a dict of named arrays."""

    def __init__(self):
        self.arrays = {}
        self._open_containers = set()  # ids on the current path, to reject cycles

    def _store(self, array, where):
        if array.dtype.hasobject:
            raise TypeError(
                f"cannot save the object array at {where}: only numeric, bool and string dtypes "
                "can be stored without pickle"
            )
        name = f"a{len(self.arrays)}"
        self.arrays[name] = array
        return name

    def encode(self, obj, where):
        """The JSON node for ``obj``; ``where`` names its position for error messages."""
        if isinstance(obj, Tensor):
            return {"type": "tensor", "ref": self._store(np.asarray(obj.data), where)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "ref": self._store(np.asarray(obj), where)}
        if isinstance(obj, np.generic):  # before float: np.float64 subclasses float
            return {"type": "numpy_scalar", "ref": self._store(np.asarray(obj), where)}
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):  # before int: bool subclasses int
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            # repr round-trips exactly and also spells nan and inf, which strict JSON cannot
            return {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, (dict, list, tuple)):
            return self._encode_container(obj, where)
        raise TypeError(
            f"cannot save {type(obj).__name__} at {where}: expected Tensor, ndarray, int, float, "
            "bool, str, None, or a dict/list/tuple of these"
        )

    def _encode_container(self, obj, where):
        if id(obj) in self._open_containers:
            raise ValueError(f"cannot save a structure that contains itself (at {where})")
        self._open_containers.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = [[_encode_key(k, where), self.encode(v, f"{where}[{k!r}]")]
                         for k, v in obj.items()]
                return {"type": "dict", "items": items}
            kind = "tuple" if isinstance(obj, tuple) else "list"
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"type": kind, "items": items}
        finally:
            self._open_containers.discard(id(obj))


def _encode_key(key, where):
    if isinstance(key, str):
        return ["str", key]
    if isinstance(key, int) and not isinstance(key, bool):
        return ["int", int(key)]
    raise TypeError(
        f"cannot save dict key {key!r} ({type(key).__name__}) at {where}: keys must be str or int"
    )


# ---------------------------------------------------------------------------------- decoding

# leaf type -> (the JSON type its "value" has, the converter back to the Python value)
_SCALARS = {"bool": (bool, bool), "int": (int, int), "float": (str, float), "str": (str, str)}


def _decode(node, arrays, used, where):
    """Rebuild the object described by ``node``; records consumed array names in ``used``."""
    if not isinstance(node, dict) or "type" not in node:
        raise _FormatError(f"malformed metadata node at {where}: {node!r:.80}")
    kind = node["type"]
    if kind in ("tensor", "ndarray", "numpy_scalar"):
        return _decode_array_leaf(kind, _take_array(node, arrays, used, where), where)
    if kind == "none":
        return None
    if kind in _SCALARS:
        return _decode_scalar(kind, node.get("value"), where)
    if kind in ("dict", "list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise _FormatError(f"{kind} at {where} has no item list")
        if kind == "dict":
            return _decode_dict(items, arrays, used, where)
        values = [_decode(v, arrays, used, f"{where}[{i}]") for i, v in enumerate(items)]
        return tuple(values) if kind == "tuple" else values
    raise _FormatError(f"unknown leaf type {kind!r} at {where}")


def _decode_array_leaf(kind, array, where):
    if kind == "ndarray":
        return array
    if kind == "numpy_scalar":
        if array.ndim != 0:
            raise _FormatError(f"the NumPy scalar at {where} has shape {array.shape}")
        return array[()]
    try:
        return Tensor(array)
    except TypeError as exc:  # a dtype no Tensor can have
        raise _FormatError(f"the tensor at {where}: {exc}") from None


def _decode_scalar(kind, value, where):
    json_type, convert = _SCALARS[kind]
    try:
        if type(value) is not json_type:
            raise ValueError
        return convert(value)
    except ValueError:
        raise _FormatError(f"{kind} leaf at {where} holds {value!r:.80}") from None


def _decode_dict(items, arrays, used, where):
    result = {}
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)
                and len(item[0]) == 2):
            raise _FormatError(f"malformed dict item at {where}: {item!r:.80}")
        (key_kind, key), value = item
        if not ((key_kind == "str" and isinstance(key, str))
                or (key_kind == "int" and type(key) is int)):
            raise _FormatError(f"malformed dict key at {where}: {item[0]!r:.80}")
        result[key] = _decode(value, arrays, used, f"{where}[{key!r}]")
    return result


def _take_array(node, arrays, used, where):
    name = node.get("ref")
    if not isinstance(name, str) or name not in arrays:
        raise _FormatError(f"the array for {where} ({name!r}) is missing from the archive")
    used.add(name)
    return arrays[name]


# ---------------------------------------------------------------------------------- files

def save(obj, path):
    """Write ``obj`` (e.g. a ``state_dict()``) to ``path`` as an ``.npz`` checkpoint, atomically.

    ``path`` (str or ``pathlib.Path``) is used exactly as given: no ``.npz`` suffix is added. The
    archive goes to a temporary file in the same directory, is flushed and fsynced, then
    ``os.replace``-d onto ``path``; on any error the temporary file is removed and an existing
    file at ``path`` is left untouched. Overwriting keeps what a plain write would: the existing
    file's permissions, owner and group (where the process may set them), and a symbolic link
    (the file it points to is replaced). A device or a FIFO at ``path`` (``os.devnull``) is
    written into, not replaced, as by ``open(path, "wb")``: there is no file to rename. Raises
    ``TypeError`` for values that cannot be stored without pickle (naming where in ``obj`` they
    are), before any file is created.

    ``path`` may also be a binary file object (``io.BytesIO``, an open file), as in
    ``torch.save``: the archive is written into it at its position, with no renaming.
    """
    arrays = _archive_entries(obj)
    if _is_file_object(path, "write"):
        np.savez(path, **arrays)
        return
    given = os.fsdecode(os.fspath(path))
    if not given:
        raise FileNotFoundError(errno.ENOENT, "nn.save needs a file name", given)
    if given.endswith(("/", os.sep)) or os.path.isdir(given):
        raise IsADirectoryError(errno.EISDIR, "nn.save needs a file name, not a directory "
                                "(e.g. 'checkpoints/model.npz')", given)
    path = Path(os.path.realpath(given))  # through symbolic links, as open() writes
    existing = _stat_or_none(given)  # (given: /dev/stderr resolves to no real path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        # A device or a FIFO: nothing to rename onto. Written whole, as zipfile seeks back
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with open(given, "wb") as f:
            f.write(buffer.getbuffer())
        return

    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, "directory for the checkpoint does not exist",
                                str(directory))
    # A name of fixed length: one made from path's name would be too long for the longest
    # names a plain open() takes
    tmp = directory / f".nn-save-{secrets.token_hex(8)}.tmp"
    try:
        # O_EXCL: never clobber (nor, below, remove) someone else's file; mode 0o666 lets the
        # umask apply as it would for a plain open()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as error:  # name the user's path, not the temporary one
        raise type(error)(error.errno, f"cannot create a temporary file in {directory} to "
                          f"write the checkpoint ({error.strerror})", given) from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # a file object, so np.savez does not append ".npz"
            f.flush()
            os.fsync(f.fileno())
        if existing is not None:
            _copy_ownership(existing, tmp)
        os.replace(tmp, path)
    except BaseException:  # also on KeyboardInterrupt: never leave the temporary behind
        _remove_if_present(tmp)
        raise
    _fsync_directory(directory)


def _archive_entries(obj):
    """The ``.npz`` entries of ``obj``: its arrays and the JSON metadata of its structure."""
    encoder = _Encoder()
    root = encoder.encode(obj, "obj")
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    arrays = dict(encoder.arrays)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return arrays


def _is_file_object(path, method):
    """Whether ``path`` is an open file object (it has ``method``) rather than a file name."""
    return not isinstance(path, (str, bytes, os.PathLike)) and hasattr(path, method)


def _stat_or_none(path):
    """``os.stat(path)``, or None when nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _copy_ownership(existing, tmp):
    """Give ``tmp`` the permission bits, owner and group of the file ``existing`` (its stat):
    a checkpoint kept private with mode 0600 stays private, and one a user owns stays theirs
    when root overwrites it. An owner the process may not give away is left, as a plain
    write could not change it either."""
    if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != (os.geteuid(),
                                                                       os.getegid()):
        try:
            os.chown(tmp, existing.st_uid, existing.st_gid)
        except PermissionError:
            pass
    os.chmod(tmp, stat.S_IMODE(existing.st_mode))


def _remove_if_present(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_directory(directory):
    """Make the rename durable on POSIX; not possible (nor needed) on every platform."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path, map_location=None, *, weights_only=True):
    """Read a checkpoint written by :func:`save` and return the object it holds.

    Tensors come back as ``Tensor`` with their dtype and ``requires_grad=False``. Raises
    ``FileNotFoundError`` if ``path`` does not exist and ``ValueError`` naming ``path`` if the
    file is truncated, corrupt, not an ``.npz`` archive, or an ``.npz`` not written by
    :func:`save`. Never unpickles, so loading an untrusted file cannot run code. ``path`` may
    also be a binary file object open for reading (``io.BytesIO``), as in ``torch.load``.
    ``torch.load``'s ``map_location`` (everything loads on the CPU: None, the CPU, a function
    such as ``lambda storage, loc: storage``, or a dict whose targets are the CPU) and
    ``weights_only`` (always what this does: a checkpoint holds data, never code) are taken.
    """
    for target in (map_location.values() if isinstance(map_location, dict)
                   else () if callable(map_location) else (map_location,)):
        check_device(target, "load: map_location")
    if weights_only not in (True, False, None):
        raise TypeError(f"load: weights_only must be a bool, got {weights_only!r}")
    if _is_file_object(path, "read"):
        name = getattr(path, "name", f"<{type(path).__name__}>")
        arrays, path = _read_arrays_from(path, name), name
    else:
        given = os.fsdecode(os.fspath(path))  # (bytes paths too, as open() takes)
        if not given or not os.path.exists(given):  # (Path("") would be ".")
            raise FileNotFoundError(errno.ENOENT, "no such checkpoint file", given)
        path = Path(given)
        with open(given, "rb") as f:  # as given: "x.npz/" is not the file x.npz  # outside the reading: permission errors stay as they are
            arrays = _read_arrays_from(f, path)
    if META_KEY not in arrays:
        entries = ", ".join(sorted(arrays)) or "none"
        raise ValueError(
            f"{path}: not an autodiff checkpoint: no {META_KEY!r} entry (entries: {entries})"
        )
    meta = arrays.pop(META_KEY)
    try:
        root = _parse_meta(meta)
        used = set()
        obj = _decode(root, arrays, used, "obj")
    except _FormatError as exc:
        raise ValueError(f"{path}: corrupt autodiff checkpoint: {exc}") from None
    except RecursionError:
        raise ValueError(
            f"{path}: corrupt autodiff checkpoint: metadata nested too deeply"
        ) from None
    unused = sorted(set(arrays) - used)
    if unused:
        raise ValueError(
            f"{path}: corrupt autodiff checkpoint: entries not described by the metadata: "
            f"{', '.join(unused)}"
        )
    return obj


# What np.load and zipfile raise on damaged archives: flipped header bits give anything from
# BadZipFile to "encrypted" (RuntimeError), "compression method" (NotImplementedError) and
# seeks to negative offsets (OSError).
_DAMAGED_ARCHIVE_ERRORS = (ValueError, EOFError, OSError, RuntimeError, NotImplementedError,
                           zipfile.BadZipFile, zlib.error)


def _read_arrays_from(f, path):
    """Every entry of the ``.npz`` in the open binary file ``f`` (named ``path`` in errors),
    read eagerly, without pickle."""
    try:
        start = f.tell()
        f.seek(start)
    except (OSError, AttributeError) as exc:  # a pipe or a socket: np.load must seek
        raise ValueError(f"{path}: nn.load needs a file it can seek in ({exc}): read a stream "
                         f"into io.BytesIO(stream.read()) first") from None
    try:
        content = np.load(f, allow_pickle=False)
        if not isinstance(content, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an .npz archive")
        with content:
            _check_starts_at(content, start)
            arrays = {name: content[name] for name in content.files}
    except _DAMAGED_ARCHIVE_ERRORS as exc:
        raise ValueError(
            f"{path}: not a readable autodiff checkpoint (.npz): {_reason(exc)}"
        ) from None
    odd = sorted(name for name, value in arrays.items() if not isinstance(value, np.ndarray))
    if odd:  # np.load gives the raw bytes of a member that is no .npy array
        raise ValueError(f"{path}: corrupt autodiff checkpoint: entry {odd[0]!r} is not an "
                         f".npy array")
    return arrays


def _check_starts_at(content, start):
    """A zip archive is found from the end of its file, so a stream holding two checkpoints one
    after the other would silently give the second: refuse an archive that does not start where
    the reading started."""
    entries = content.zip.infolist()
    if entries and entries[0].header_offset != start:
        raise ValueError(f"the archive found starts at byte {entries[0].header_offset}, not at "
                         f"{start} where reading started: does the stream hold more than one "
                         f"checkpoint? Write one checkpoint per file or stream")


def _reason(exc):
    """What np.load found wrong, with its advice to load pickles (an ``allow_pickle=`` that
    `load` does not take, or ``pickle.load()``) replaced by what to do instead."""
    message = str(exc)
    if "allow_pickle" not in message:
        return message
    if "Object arrays" in message:
        found = "it holds an object array, and object arrays can only be read by unpickling"
    else:  # np.load says "pickled data" for anything that is neither .npz nor .npy
        found = "it is neither an .npz nor an .npy file (a pickle, or something else)"
    return (f"{found}. nn.load never unpickles (unpickling can run code) and has no "
            "allow_pickle option: where the file is trusted, load it with the tool that wrote "
            "it and re-save it with nn.save(state_dict, path), or its arrays with np.savez")


def _parse_meta(meta):
    if meta.dtype != np.uint8 or meta.ndim != 1:
        raise _FormatError(
            f"{META_KEY} is {meta.dtype} of shape {meta.shape}, expected 1-d uint8 bytes"
        )
    try:
        parsed = json.loads(meta.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _FormatError(f"{META_KEY} is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT_NAME:
        raise _FormatError(f"{META_KEY} does not name the {FORMAT_NAME!r} format")
    if parsed.get("version") != FORMAT_VERSION:
        raise _FormatError(
            f"format version {parsed.get('version')!r} is not supported (this is "
            f"version {FORMAT_VERSION})"
        )
    if "root" not in parsed:
        raise _FormatError(f"{META_KEY} has no 'root'")
    return parsed["root"]
