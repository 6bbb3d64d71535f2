"""The one device there is, the CPU: ``Tensor.device`` and the ``device=`` keyword that PyTorch
code passes to layers, creation functions and ``to()``."""
import re


class Device(str):
    """A device name, as ``torch.device`` (``autodiff.device``): ``Device('cpu')``,
    ``Device('cpu', 0)`` or ``Device('cpu:0')``, also a plain string (so ``device == 'cpu'``
    and ``'cuda' in device`` work), with PyTorch's ``type`` and ``index``. A device of another
    type ('cuda') can be named, as in PyTorch, but only the CPU can be used (`check_device`).

    >>> CPU.type, CPU.index, CPU == "cpu", Device("cpu", 0)
    ('cpu', None, True, 'cpu:0')
    """

    def __new__(cls, type, index=None):  # noqa: A002 - PyTorch's name
        name = str(type) if index is None else f"{type}:{int(index)}"
        if not _NAME.fullmatch(name):
            raise ValueError(f"device: expected a name such as 'cpu' or 'cpu:0', got {name!r}")
        return super().__new__(cls, name)

    @property
    def type(self):
        """The kind of device: ``'cpu'``."""
        return self.split(":")[0]

    @property
    def index(self):
        """The device's number (``'cpu:0'`` is 0), None when not given."""
        _, _, number = self.partition(":")
        return int(number) if number else None


_NAME = re.compile(r"[a-z_]+(:[0-9]+)?")
_CPU_NAME = re.compile(r"cpu(:[0-9]+)?")
CPU = Device("cpu")


def check_device(device, owner):
    """Raise ValueError naming ``owner`` and ``device`` unless ``device`` is None or the CPU
    (``'cpu'`` or ``'cpu:<n>'``, or anything whose str() is one of those): this library
    computes with NumPy, on the CPU only."""
    if device is not None and not _CPU_NAME.fullmatch(str(device)):
        raise ValueError(f"{owner}: device={device!r} is not available: autodiff runs on the "
                         f"CPU only (use device=None or 'cpu')")
