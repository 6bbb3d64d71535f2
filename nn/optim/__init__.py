"""`nn.optim`: optimizers (SGD, RMSprop, Adam, AdamW), learning-rate schedules, gradient clipping.

Names, defaults and update rules are PyTorch's, so hyperparameters port unchanged::

    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            nn.optim.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        scheduler.step()
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .clip import clip_grad_norm_
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "lr_scheduler",
    "clip_grad_norm_",
]
