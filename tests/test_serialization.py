"""Tests for nn/serialization.py: round trips, atomic writes, and refusing bad files safely."""

import io
import json
import math
import os
import pathlib
import zipfile

import numpy as np
import pytest

from autodiff import Tensor
from nn.serialization import META_KEY, load, save


def model_state():
    rng = np.random.default_rng(0)
    return {
        "fc1.weight": Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True),
        "fc1.bias": Tensor(np.zeros(4, dtype=np.float64)),
        "bn.num_batches_tracked": Tensor(np.array(7, dtype=np.int64)),
        "emb.weight": Tensor(np.arange(6, dtype=np.int64).reshape(2, 3)),
    }


def optimizer_state():
    return {
        "state": {
            0: {"step": 3, "exp_avg": np.full((2, 2), 0.5, np.float32)},
            1: {"step": 3, "exp_avg": np.array([1.0, -2.0])},
        },
        "param_groups": [
            {"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False,
             "maximize": None, "name": "default"},
        ],
    }


def assert_same(a, b):
    """Equal values with equal types, recursively (Tensors and ndarrays by dtype and data)."""
    assert type(a) is type(b) or (isinstance(a, Tensor) and type(b) is Tensor), (a, b)
    if isinstance(a, Tensor):
        assert b.dtype == a.dtype and b.shape == a.shape
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert b.dtype == a.dtype and b.shape == a.shape
        np.testing.assert_array_equal(b, a)
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def listing(folder):
    return sorted(p.name for p in pathlib.Path(folder).iterdir())


# ---------------------------------------------------------------------------- round trips

def test_model_state_dict_round_trip(tmp_path):
    state = model_state()
    save(state, tmp_path / "model.npz")
    back = load(tmp_path / "model.npz")
    assert_same(state, back)
    assert all(type(v) is Tensor and not v.requires_grad for v in back.values())
    assert back["fc1.weight"].dtype == np.float32 and back["fc1.bias"].dtype == np.float64
    assert back["emb.weight"].dtype == np.int64 and back["bn.num_batches_tracked"].shape == ()


def test_optimizer_state_dict_round_trip(tmp_path):
    state = optimizer_state()
    save(state, str(tmp_path / "optim.npz"))
    back = load(str(tmp_path / "optim.npz"))
    assert_same(state, back)
    assert list(back["state"]) == [0, 1]  # int keys stay int
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert type(back["param_groups"][0]["betas"]) is tuple
    assert type(back["state"][0]["exp_avg"]) is np.ndarray
    assert back["param_groups"][0]["maximize"] is None
    assert back["param_groups"][0]["nesterov"] is False


def test_combined_checkpoint(tmp_path):
    ckpt = {"model": model_state(), "optimizer": optimizer_state(), "epoch": 12}
    save(ckpt, tmp_path / "ckpt.npz")
    assert_same(ckpt, load(tmp_path / "ckpt.npz"))


@pytest.mark.parametrize("array", [
    np.array(3.5, dtype=np.float32),
    np.array(-4, dtype=np.int64),
    np.zeros((0,), dtype=np.float64),
    np.zeros((0, 3), dtype=np.float32),
    np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    np.array([True, False]),
    np.array([1 + 2j], dtype=np.complex128),
    np.array(["ab", "ü"]),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
], ids=lambda a: f"{a.dtype}{a.shape}")
def test_array_leaves_round_trip(tmp_path, array):
    save({"x": array, "t": Tensor(array) if array.dtype.kind in "fiub" else None}, tmp_path / "a")
    back = load(tmp_path / "a")
    assert_same(array, back["x"])
    if back["t"] is not None:
        assert_same(Tensor(array), back["t"])


def test_python_and_numpy_scalars_keep_their_type(tmp_path):
    obj = [0, -2**70, 1.0 / 3.0, float("inf"), float("nan"), -0.0, True, None, "é ✓", "",
           np.float32(1.25), np.int64(5), np.bool_(True), (), [], {}]
    save(obj, tmp_path / "s")
    back = load(tmp_path / "s")
    assert_same(obj, back)
    assert math.copysign(1.0, back[5]) == -1.0
    assert type(back[10]) is np.float32 and type(back[12]) is np.bool_


def test_top_level_leaf_and_nesting(tmp_path):
    save(Tensor(np.ones(3, np.float32)), tmp_path / "t")
    assert_same(Tensor(np.ones(3, np.float32)), load(tmp_path / "t"))
    nested = {"a": [({"b": (1, [2.0, {3: None}])},)]}
    save(nested, tmp_path / "n")
    assert_same(nested, load(tmp_path / "n"))


def test_exact_path_is_used_and_file_is_a_plain_npz(tmp_path):
    save({"w": np.arange(3)}, tmp_path / "weights.bin")
    assert listing(tmp_path) == ["weights.bin"]  # no ".npz" appended, no temporary left
    with np.load(tmp_path / "weights.bin", allow_pickle=False) as npz:
        assert META_KEY in npz.files and len(npz.files) == 2
    save({"w": np.arange(3)}, str(tmp_path / "plain"))
    assert listing(tmp_path) == ["plain", "weights.bin"]


def test_overwrite_replaces_content(tmp_path):
    save({"v": 1}, tmp_path / "c.npz")
    save({"v": 2}, tmp_path / "c.npz")
    assert load(tmp_path / "c.npz") == {"v": 2}
    assert listing(tmp_path) == ["c.npz"]


def test_file_objects_round_trip_as_in_torch_save():
    buffer = io.BytesIO()
    save(model_state(), buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert not buffer.closed
    for key, value in model_state().items():
        np.testing.assert_array_equal(loaded[key].data, value.data)
    with pytest.raises(ValueError, match="BytesIO.*not a readable autodiff checkpoint"):
        load(io.BytesIO(b"not an archive"))


def test_overwrite_keeps_the_existing_files_permissions(tmp_path):
    path = tmp_path / "private.npz"
    save({"w": np.ones(2)}, path)
    os.chmod(path, 0o600)
    save({"w": np.zeros(2)}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o600
    np.testing.assert_array_equal(load(path)["w"], np.zeros(2))


def test_saving_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    target = tmp_path / "runs" / "best.npz"
    target.parent.mkdir()
    save({"epoch": 1}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    save({"epoch": 2}, link)
    assert link.is_symlink()
    assert load(target) == {"epoch": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == ["best.npz"]


# ---------------------------------------------------------------------------- what cannot be saved

@pytest.mark.parametrize("obj, where", [
    ({"a": {"b": {1, 2}}}, r"set at obj\['a'\]\['b'\]"),
    ({"a": [np.array([object()])]}, r"object array at obj\['a'\]\[0\]"),
    ({1.5: 2}, "dict key 1.5"),
    ({True: 2}, "dict key True"),
    ({"f": lambda: 0}, "function"),
])
def test_unsupported_values_raise_before_writing(tmp_path, obj, where):
    with pytest.raises(TypeError, match=where):
        save(obj, tmp_path / "bad.npz")
    assert listing(tmp_path) == []


def test_cycle_is_rejected(tmp_path):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, tmp_path / "loop")


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        save({}, tmp_path / "nowhere" / "c.npz")


# ---------------------------------------------------------------------------- atomic writes

def test_crash_inside_savez_keeps_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "c.npz"
    save({"v": np.arange(4)}, target)
    good = target.read_bytes()

    def crash(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"v": np.arange(100)}, target)
    assert target.read_bytes() == good
    assert listing(tmp_path) == ["c.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(load(target)["v"], np.arange(4))


def test_crash_at_replace_keeps_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "c.npz"
    save({"v": 1}, target)
    good = target.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save({"v": 2}, target)
    assert target.read_bytes() == good
    assert listing(tmp_path) == ["c.npz"]


def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("io error")))
    with pytest.raises(OSError, match="io error"):
        save({"v": 1}, tmp_path / "c.npz")
    assert listing(tmp_path) == []


def test_data_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync")
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", pathlib.Path(src).parent == tmp_path,
                       pathlib.Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save({"v": 1}, tmp_path / "c.npz")
    assert events[:2] == ["fsync", ("replace", True, "c.npz")]


# ---------------------------------------------------------------------------- bad files

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load(tmp_path / "missing.npz")


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_truncated_file(tmp_path, fraction):
    save(optimizer_state(), tmp_path / "c.npz")
    data = (tmp_path / "c.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(ValueError, match="cut.npz"):
        load(tmp_path / "cut.npz")


def test_every_truncation_and_bit_flip_raises_value_error(tmp_path):
    save({"w": np.arange(5.0), "s": {0: (1, "x")}}, tmp_path / "c.npz")
    data = (tmp_path / "c.npz").read_bytes()
    rng = np.random.default_rng(0)
    variants = [data[:n] for n in range(0, len(data), 7)]
    for _ in range(300):
        flipped = bytearray(data)
        flipped[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        variants.append(bytes(flipped))
    for variant in variants:
        (tmp_path / "v.npz").write_bytes(variant)
        try:
            load(tmp_path / "v.npz")  # a flip in unused zip padding may still load
        except ValueError as exc:
            assert "v.npz" in str(exc)


def test_garbage_file(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"this is not an archive at all\n" * 10)
    with pytest.raises(ValueError, match="junk.npz.*not a readable autodiff checkpoint"):
        load(tmp_path / "junk.npz")


def test_pickled_object_array_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "code_was_executed"

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    payload = np.empty(1, dtype=object)
    payload[0] = Payload()
    buffer = io.BytesIO()
    np.save(buffer, payload, allow_pickle=True)
    meta = np.frombuffer(json.dumps({"format": "autodiff-checkpoint", "version": 1,
                                     "root": {"type": "ndarray", "ref": "a0"}}).encode(), np.uint8)
    meta_buffer = io.BytesIO()
    np.save(meta_buffer, meta)
    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as archive:
        archive.writestr("a0.npy", buffer.getvalue())
        archive.writestr(f"{META_KEY}.npy", meta_buffer.getvalue())

    with pytest.raises(ValueError, match="evil.npz.*[Oo]bject arrays"):
        load(tmp_path / "evil.npz")
    assert not marker.exists()
    # the file really is dangerous: unpickling it runs the payload
    with np.load(tmp_path / "evil.npz", allow_pickle=True) as npz:
        npz["a0"]
    assert marker.exists()


def test_raw_pickle_file_is_refused_without_running_code(tmp_path):
    import pickle

    marker = tmp_path / "code_was_executed"

    class Payload:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    (tmp_path / "p.npz").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="p.npz"):
        load(tmp_path / "p.npz")
    assert not marker.exists()


def test_npz_not_written_by_save(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.ones(2))
    with pytest.raises(ValueError, match=r"other.npz: not an autodiff checkpoint.*weights"):
        load(tmp_path / "other.npz")


def test_single_npy_file(tmp_path):
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(ValueError, match="one.npy.*single .npy array"):
        load(tmp_path / "one.npy")


def write_with_meta(path, meta, **arrays):
    encoded = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    arrays[META_KEY] = np.frombuffer(encoded, np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("meta, arrays, message", [
    (b"{not json", {}, "not valid UTF-8 JSON"),
    ({"format": "something-else", "version": 1, "root": {"type": "none"}}, {}, "format"),
    ({"format": "autodiff-checkpoint", "version": 99, "root": {"type": "none"}}, {},
     "version 99"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "ndarray", "ref": "a7"}},
     {}, r"'a7'.*missing"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "none"}},
     {"a0": np.ones(1)}, "not described by the metadata: a0"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "int", "value": "3"}},
     {}, "int leaf at obj"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "float", "value": "x"}},
     {}, "float leaf at obj"),
    ({"format": "autodiff-checkpoint", "version": 1,
      "root": {"type": "dict", "items": [[["float", 1.5], {"type": "none"}]]}},
     {}, "malformed dict key"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "set", "items": []}},
     {}, "unknown leaf type 'set'"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "tensor", "ref": "a0"}},
     {"a0": np.array(["text"])}, "the tensor at obj"),
    ({"format": "autodiff-checkpoint", "version": 1,
      "root": {"type": "numpy_scalar", "ref": "a0"}},
     {"a0": np.ones(2)}, r"NumPy scalar at obj has shape \(2,\)"),
    ({"format": "autodiff-checkpoint", "version": 1, "root": {"type": "ndarray", "ref": [0]}},
     {}, r"\[0\].*missing"),
    (b'{"format": "autodiff-checkpoint", "version": 1, "root": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", {}, "nested too deeply"),
])
def test_corrupt_metadata(tmp_path, meta, arrays, message):
    write_with_meta(tmp_path / "m.npz", meta, **arrays)
    with pytest.raises(ValueError, match=f"m.npz: corrupt autodiff checkpoint: .*{message}"):
        load(tmp_path / "m.npz")


def test_metadata_of_the_wrong_dtype(tmp_path):
    with open(tmp_path / "m.npz", "wb") as f:
        np.savez(f, **{META_KEY: np.ones(3)})
    with pytest.raises(ValueError, match=r"m.npz: corrupt .*float64 of shape \(3,\)"):
        load(tmp_path / "m.npz")


# ---------------------------------------------------------------------------- pickles: what to do
def test_a_pickle_file_is_refused_with_what_to_do_instead(tmp_path):
    import pickle

    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"model.pkl.*never unpickles.*nn.save") as info:
        load(tmp_path / "model.pkl")
    assert "allow_pickle=" not in str(info.value) and "pickle.load" not in str(info.value)


def test_an_object_array_is_refused_with_what_to_do_instead(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"w": 1}], dtype=object), allow_pickle=True)
    message = r"obj.npy.*object array.*never unpickles.*np.savez"
    with pytest.raises(ValueError, match=message) as info:
        load(tmp_path / "obj.npy")
    assert "allow_pickle=" not in str(info.value)


def test_a_stream_holding_two_checkpoints_is_refused_not_read_as_the_second():
    buffer = io.BytesIO()
    save({"a": np.zeros(1)}, buffer)
    save({"b": np.ones(2)}, buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="more than one checkpoint"):
        load(buffer)
    prefixed = io.BytesIO(b"head")
    prefixed.seek(4)
    save({"a": np.zeros(1)}, prefixed)
    prefixed.seek(4)
    assert list(load(prefixed)) == ["a"]  # a checkpoint after other data, read from its start


# ----- failures midway (session-12 review) ------------------------------------------------
def test_a_fifo_is_written_into_not_replaced(tmp_path):
    """save() renamed a regular file onto a FIFO or a device (as root: os.devnull itself)."""
    import stat
    import threading
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    save({"w": np.arange(3.0)}, fifo)
    reader.join(timeout=10)
    if reader.is_alive():  # the FIFO was replaced, so the reader waits for a writer forever
        with open(fifo, "wb"):
            pass
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and sorted(os.listdir(tmp_path)) == ["fifo"]
    np.testing.assert_array_equal(load(io.BytesIO(received[0]))["w"], np.arange(3.0))


def test_overwriting_keeps_the_owner_and_group(tmp_path, monkeypatch):
    """Only the mode was copied: a user's checkpoint overwritten by root became root's."""
    path = tmp_path / "model.npz"
    save({"w": np.ones(2)}, path)
    owner = os.stat(path)
    calls = []
    real_chown = os.chown
    monkeypatch.setattr(os, "chown", lambda p, u, g: calls.append((u, g)) or real_chown(p, u, g))
    monkeypatch.setattr(os, "geteuid", lambda: owner.st_uid + 1)  # as if another user saved
    save({"w": np.zeros(2)}, path)
    assert calls == [(owner.st_uid, owner.st_gid)]
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (owner.st_uid, owner.st_gid)
    np.testing.assert_array_equal(load(path)["w"], np.zeros(2))


def test_the_longest_names_save_and_errors_name_the_users_path(tmp_path, monkeypatch):
    """The temporary file's name was the target's plus 22 characters: names of 234 to 255
    characters failed, and errors named the hidden temporary file."""
    long_path = tmp_path / ("m" * 251 + ".npz")
    save({"w": np.ones(2)}, long_path)
    np.testing.assert_array_equal(load(long_path)["w"], np.ones(2))
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    target = tmp_path / "ckpt.npz"
    with pytest.raises(PermissionError, match=r"cannot create a temporary file in .* to write "
                                              r"the checkpoint \(Permission denied\)") as error:
        save({"w": np.ones(2)}, target)
    assert error.value.filename == str(target) and ".tmp" not in str(error.value)


def test_an_archive_entry_that_is_no_npy_array_is_named(tmp_path):
    """np.load gives the raw bytes of such an entry: load() raised AttributeError without the
    path, or returned bytes where the metadata says ndarray."""
    good = tmp_path / "good.npz"
    save({"w": np.ones(2)}, good)
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name) if name.startswith(META_KEY) else b"junk")
    with pytest.raises(ValueError, match=r"bad.npz: corrupt autodiff checkpoint: entry '.*' is "
                                         r"not an .npy array"):
        load(bad)


def test_loading_from_a_pipe_says_to_buffer_it(tmp_path):
    path = tmp_path / "ok.npz"
    save({"w": np.ones(2)}, path)
    read_end, write_end = os.pipe()
    os.write(write_end, path.read_bytes())
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        with pytest.raises(ValueError, match=r"needs a file it can seek in .*io.BytesIO"):
            load(stream)


def test_load_takes_torch_loads_map_location_and_weights_only(tmp_path):
    """PyTorch's tutorial: net.load_state_dict(torch.load(PATH, weights_only=True))."""
    path = tmp_path / "w.npz"
    save({"w": np.arange(3.0)}, path)
    for loaded in (load(path, weights_only=True),
                   load(path, map_location="cpu"),
                   load(path, "cpu", weights_only=False)):
        np.testing.assert_array_equal(loaded["w"].data, np.arange(3.0))
    for everything_on_the_cpu in (lambda storage, loc: storage, {"cuda:0": "cpu"}):
        np.testing.assert_array_equal(load(path, map_location=everything_on_the_cpu)["w"].data,
                                      np.arange(3.0))
    for elsewhere in ("cuda:0", {"cpu": "cuda:1"}):
        with pytest.raises(ValueError, match="map_location: device='cuda:.' is not available"):
            load(path, map_location=elsewhere)
