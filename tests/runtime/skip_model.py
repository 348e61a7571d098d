"""A model with skip connections traced with PyTorch (python3-torch), for the runtime tests:
a small U-Net-like network whose long skips (concatenations across the whole body) make
every inner cut carry several tensors. Usage: skip_model.py OUT.pt"""
import sys

import torch
from torch import nn


class SkipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(16, 16, 3, padding=1)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Conv2d(16, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        a = torch.relu(self.enc1(x))
        b = torch.relu(self.enc2(a))
        m = torch.relu(self.mid(b)) + b
        u = self.up(m)
        d = torch.relu(self.dec(torch.cat([u, a], dim=1)))
        return self.head(d.mean(dim=(2, 3)))


torch.manual_seed(0)
model = SkipNet().eval()
traced = torch.jit.trace(model, torch.randn(1, 3, 16, 16))
traced.save(sys.argv[1])
