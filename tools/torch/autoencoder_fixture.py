"""Records a small torch run of PyOD's AutoEncoder for anomalog's tests.

Writes a TypeScript module (src/detectors/autoencoder-torch.fixture.ts) with the data, the
network torch initialises for random_state = SEED, the network after training, and its scores.
The network, standardisation, loader, optimiser and scoring are set up as PyOD 3.x's AutoEncoder
sets them up (BaseDeepLearningDetector.fit: seed torch, build the model, Adam, a shuffled
DataLoader that drops the last short batch, MSE; eval-mode scoring), with smaller layers so the
fixture stays small.

Needs Debian's python3-torch and python3-numpy (torch 1.13.1 recorded the committed fixture):
    python3 tools/torch/autoencoder_fixture.py > src/detectors/autoencoder-torch.fixture.ts
    npx prettier --write src/detectors/autoencoder-torch.fixture.ts
"""
import json
import numpy as np
import torch
from torch import nn

SEED = 7
ROWS, FEATURES, HIDDEN = 40, 3, [4, 2]
EPOCHS, BATCH, DROPOUT = 2, 8, 0.2

data = np.random.RandomState(1).standard_normal((ROWS, FEATURES)) * [1.0, 2.0, 0.5]
data[:3] += 4.0  # a few rows far from the rest

torch.manual_seed(SEED)


def block(inputs, units):
    linear = nn.Linear(inputs, units)
    nn.init.kaiming_uniform_(linear.weight, a=0, mode="fan_in", nonlinearity="leaky_relu")
    return [linear, nn.BatchNorm1d(units), nn.ReLU(), nn.Dropout(DROPOUT)]


widths = HIDDEN + HIDDEN[:-1][::-1]
layers, inputs = [], FEATURES
for units in widths:
    layers += block(inputs, units)
    inputs = units
model = nn.Sequential(*layers, nn.Linear(inputs, FEATURES))


def params():
    return [float(v) for p in model.parameters() for v in p.detach().double().numpy().ravel()]


initial = params()
mean, std = data.mean(axis=0), data.std(axis=0)
standardised = (data - mean) / (std + 1e-8)


class Rows(torch.utils.data.Dataset):
    def __len__(self):
        return ROWS

    def __getitem__(self, i):
        return torch.as_tensor(standardised[i], dtype=torch.float32)


loader = torch.utils.data.DataLoader(Rows(), batch_size=BATCH, shuffle=True, drop_last=True)
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
model.train()
for _ in range(EPOCHS):
    for batch in loader:
        optimiser.zero_grad()
        loss = nn.functional.mse_loss(model(batch), batch)
        loss.backward()
        optimiser.step()
model.eval()
with torch.no_grad():
    x = torch.as_tensor(standardised, dtype=torch.float32)
    scores = torch.sqrt(((x - model(x)) ** 2).sum(dim=1)).double().numpy()
buffers = [
    float(v)
    for name, b in model.named_buffers()
    if "num_batches" not in name
    for v in b.double().numpy().ravel()
]

print(f"// Recorded by tools/torch/autoencoder_fixture.py with torch {torch.__version__}; do not edit.")
# Python's repr is the shortest literal that reads back to the same double, in JavaScript too;
# the lint rule misjudges some of them.
print("/* eslint-disable no-loss-of-precision */")
for name, value in [
    ("seed", SEED),
    ("hiddenNeuronList", HIDDEN),
    ("epochNum", EPOCHS),
    ("batchSize", BATCH),
    ("dropoutRate", DROPOUT),
    ("features", FEATURES),
    ("data", [float(v) for v in data.ravel()]),
    ("initialParams", initial),
    ("trainedParams", params()),
    ("runningStats", buffers),
    ("scores", [float(v) for v in scores]),
]:
    print(f"export const {name} = {json.dumps(value)};")
