"""PyTorch side of `node scripts/bench-engine.mjs`.

Builds the very network camlab benchmarks (nsfwjs's Keras MobileNetV2, topology + weights
exported by the Node script) as PyTorch modules, checks that it computes the same logits and
the same Grad-CAM as camlab, then times, at every thread count asked for (meta "threads"; the
Node script asks for 1 and every core, so each ratio can be taken against PyTorch's fastest):

- forward (no_grad);
- Grad-CAM, two ways: "lean", the fastest idiomatic form (parameters frozen, the hooked layer's
  output detached into the root of the graph, torch.autograd.grad to it: no weight gradients, no
  backward below the layer), and "param_grads", pytorch-grad-cam's way (parameters require
  grad, a full backward hook on the layer, score.backward() through the whole network, so every
  weight gradient is computed too);
- backward to the input with a full backward hook on the layer (parameters frozen);
- Score-CAM as pytorch-grad-cam computes it (masked forwards under no_grad), when asked;
- scaling cases (meta "scaling": batch sizes and input sizes): forward and lean Grad-CAM.

Each measurement is timed at every thread count back to back (forward at 1 then 2 threads, then
Grad-CAM at 1 then 2, …), not every measurement at 1 thread and later every one at 2, so that a
change in the machine's load during the run hits both thread counts alike.
Prints one JSON object on stdout.

Usage: /usr/bin/python3 torch_gradcam.py EXPORT_DIR RUNS
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Keras(nn.Module):
    """Runs a Keras functional topology (the layer classes MobileNetV2 uses) in NCHW.

    Layer configs are tfjs-layers getConfig() output (camelCase keys)."""

    def __init__(self, layers, weights):
        super().__init__()
        self.layers = layers
        self.mods = nn.ModuleDict()
        for spec in layers:
            m = self.build(spec, weights.get(spec["name"], {}))
            if m is not None:
                self.mods[spec["name"]] = m

    @staticmethod
    def build(spec, w):
        cls, cfg = spec["class_name"], spec["config"]
        if cls == "ZeroPadding2D":
            (t, b), (l, r) = cfg["padding"]
            return nn.ZeroPad2d((l, r, t, b))
        if cls in ("Conv2D", "DepthwiseConv2D"):
            k = w["depthwise_kernel" if cls == "DepthwiseConv2D" else "kernel"]
            kh, kw, cin, cout = k.shape
            groups = cin if cls == "DepthwiseConv2D" else 1
            out = cin * cout if cls == "DepthwiseConv2D" else cout
            if cfg["padding"] == "same" and tuple(cfg["strides"]) != (1, 1):
                raise ValueError("stride > 1 with 'same' padding is asymmetric in Keras; MobileNetV2 pads explicitly")
            pad = (kh // 2, kw // 2) if cfg["padding"] == "same" else (0, 0)
            conv = nn.Conv2d(cin, out, (kh, kw), tuple(cfg["strides"]), pad, groups=groups, bias="bias" in w)
            weight = np.transpose(k, (2, 3, 0, 1)) if groups > 1 else np.transpose(k, (3, 2, 0, 1))
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(weight.reshape(out, cin // groups, kh, kw)))
            if "bias" in w:
                conv.bias.data = torch.from_numpy(w["bias"])
            return conv
        if cls == "BatchNormalization":
            bn = nn.BatchNorm2d(w["gamma"].shape[0], eps=cfg["epsilon"])
            bn.weight.data, bn.bias.data = torch.from_numpy(w["gamma"]), torch.from_numpy(w["beta"])
            bn.running_mean.data, bn.running_var.data = torch.from_numpy(w["moving_mean"]), torch.from_numpy(w["moving_variance"])
            return bn
        if cls == "ReLU":
            return nn.ReLU6() if cfg.get("maxValue") == 6 else nn.ReLU()
        if cls == "AveragePooling2D":
            return nn.AvgPool2d(tuple(cfg["poolSize"]), tuple(cfg["strides"]))
        if cls == "Dense":
            lin = nn.Linear(*w["kernel"].shape)
            lin.weight.data, lin.bias.data = torch.from_numpy(np.ascontiguousarray(w["kernel"].T)), torch.from_numpy(w["bias"])
            act = {"relu": nn.ReLU(), "softmax": nn.Softmax(-1), "linear": nn.Identity()}[cfg.get("activation", "linear")]
            return nn.Sequential(lin, act)
        if cls in ("InputLayer", "Add", "Flatten", "Dropout"):
            return None
        raise ValueError(f"layer class {cls} is not handled")

    def forward(self, x):
        values = {}
        for spec in self.layers:
            name, cls, ins = spec["name"], spec["class_name"], [values[i] for i in spec["inbound"]]
            if cls == "InputLayer":
                y = x
            elif cls == "Add":
                y = ins[0] + ins[1]
            elif cls == "Flatten":
                # Keras flattens NHWC; permute back before flattening to keep its order.
                y = ins[0].permute(0, 2, 3, 1).reshape(ins[0].shape[0], -1)
            elif cls == "Dropout":
                y = ins[0]
            else:
                y = self.mods[name](ins[0])
            values[name] = y
        return values[self.layers[-1]["name"]]


def median_ms(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def per_threads(threads, fn, runs, warmup=2):
    """{threads: median ms} for each thread count, measured one after the other."""
    out = {}
    for t in threads:
        torch.set_num_threads(t)
        out[str(t)] = median_ms(fn, runs, warmup)
    return out


def scorecam(model, x, layer, cls, batch):
    """Score-CAM as pytorch-grad-cam computes it: one masked forward per channel, softmax weights."""
    store = {}
    h = layer.register_forward_hook(lambda _m, _i, out: store.__setitem__("a", out))
    try:
        with torch.no_grad():
            model(x)
            a = store["a"]
            up = F.interpolate(a.transpose(0, 1), size=x.shape[2:], mode="bilinear", align_corners=False)  # [C,1,H,W]
            lo, hi = up.amin(dim=(2, 3), keepdim=True), up.amax(dim=(2, 3), keepdim=True)
            masks = (up - lo) / (hi - lo + 1e-7)
            scores = []
            for i in range(0, masks.shape[0], batch):
                scores.append(model(x * masks[i:i + batch])[:, cls])
            w = torch.softmax(torch.cat(scores), 0)
            return F.relu((w[None, :, None, None] * a).sum(1))
    finally:
        h.remove()


def gradcam(model, layer, x, cls, lean):
    """Grad-CAM of class `cls` for every image of the batch x.

    lean: the hooked output becomes the root of the graph (as camlab backprops only downstream of
    the layer), parameters frozen; otherwise pytorch-grad-cam's setup: parameters require grad, a
    full backward hook records grad_output, backward runs through the whole network."""
    store = {}

    def fwd(_m, _i, out):
        if lean:
            out = out.detach().requires_grad_(True)
        store["a"] = out
        return out

    def bwd(_m, _gin, gout):
        store["g"] = gout[0]

    h1 = layer.register_forward_hook(fwd)
    h2 = layer.register_full_backward_hook(bwd) if not lean else None
    try:
        for p in model.parameters():
            p.requires_grad_(not lean)
        out = model(x)
        # Images are independent (batch norm in eval mode): the sum's gradient is each image's own.
        score = out[:, cls].sum()
        if lean:
            (g,) = torch.autograd.grad(score, store["a"])
        else:
            model.zero_grad(set_to_none=True)
            score.backward()
            g = store["g"]
        with torch.no_grad():
            w = g.mean(dim=(2, 3), keepdim=True)
            raw = F.relu((w * store["a"]).sum(1))
            up = F.interpolate(raw[:, None], size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]
            up = up - up.amin(dim=(1, 2), keepdim=True)
            heat = up / (up.amax(dim=(1, 2), keepdim=True) + 1e-7)
        return raw, heat, out.detach()
    finally:
        h1.remove()
        if h2 is not None:
            h2.remove()


def backward_to_input(model, layer, x, cls):
    store = {}
    h = layer.register_full_backward_hook(lambda _m, _gi, go: store.__setitem__("g", go[0]))
    try:
        for p in model.parameters():
            p.requires_grad_(False)
        xi = x.clone().requires_grad_(True)
        out = model(xi)
        (gx,) = torch.autograd.grad(out[:, cls].sum(), xi)
        return gx, store["g"]
    finally:
        h.remove()


def no_grad(fn):
    """fn, run under torch.no_grad() (how inference is timed: no graph is recorded)."""
    def run():
        with torch.no_grad():
            return fn()
    return run


def load_input(export, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(export, name), dtype=np.float32).reshape(shape)).permute(0, 3, 1, 2).contiguous()


def main():
    export, runs = sys.argv[1], int(sys.argv[2])
    meta = json.load(open(os.path.join(export, "model.json")))
    cores = os.cpu_count() or 1
    threads = sorted(set(meta.get("threads") or [1, cores]))
    blob = np.fromfile(os.path.join(export, "weights.bin"), dtype=np.float32)
    weights = {}
    for w in meta["weights"]:
        layer, param = w["name"].rsplit("/", 1)
        weights.setdefault(layer, {})[param] = blob[w["offset"]: w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"])
    model = Keras(meta["layers"], weights).eval()
    x = load_input(export, "input.bin", meta["input_shape"])
    layer = model.mods[meta["cam_layer"]]
    cls = meta["target"]

    torch.set_num_threads(max(threads))
    with torch.no_grad():
        logits = model(x)
    raw, _, _ = gradcam(model, layer, x, cls, True)
    raw_full, _, _ = gradcam(model, layer, x, cls, False)
    result = {
        "torch": torch.__version__,
        "cores": cores,
        "threads": threads,
        "logits": logits[0].tolist(),
        "raw": raw[0].flatten().tolist(),
        "raw_full_backward": raw_full[0].flatten().tolist(),
    }

    # {measurement: {threads: ms}}; "main": false when the Node script asks for the scaling part only
    # (it runs the two parts in separate calls, each right after camlab's own, under the same load).
    t = result["timings"] = {}
    if meta.get("main", True):
        time_main(t, model, layer, x, cls, threads, runs, meta)
    time_scaling(result, export, meta, weights, model, x, cls, threads)
    print(json.dumps(result))


def time_main(t, model, layer, x, cls, threads, runs, meta):
    """Batch 1 at the model's size: forward, Grad-CAM both ways, backward to the input, Score-CAM."""
    t["forward"] = per_threads(threads, no_grad(lambda: model(x)), runs)
    t["gradcam"] = per_threads(threads, lambda: gradcam(model, layer, x, cls, True), runs)
    t["gradcam_param_grads"] = per_threads(threads, lambda: gradcam(model, layer, x, cls, False), runs)
    t["backward_hook"] = per_threads(threads, lambda: backward_to_input(model, layer, x, cls), runs)
    if meta.get("scorecam_layer"):
        sc_layer = model.mods[meta["scorecam_layer"]]
        t["scorecam"] = per_threads(threads, lambda: scorecam(model, x, sc_layer, cls, meta["scorecam_batch"]), meta.get("scorecam_runs", 1), warmup=0)


def time_scaling(result, export, meta, weights, model, x, cls, threads):
    """Forward and lean Grad-CAM for every scaling case (batch × input size) in meta["scaling"]."""
    scaling = meta.get("scaling")
    if scaling:
        models = {str(meta["input_shape"][1]): (model, x)}
        for size, spec in scaling.get("sizes", {}).items():
            m = Keras(spec["layers"], weights).eval()
            models[size] = (m, load_input(export, spec["input"], spec["input_shape"]))
        rows = result["scaling"] = []
        for case in scaling["cases"]:
            m, x1 = models[str(case["size"])]
            xb = x1.repeat(case["batch"], 1, 1, 1)
            lay = m.mods[meta["cam_layer"]]
            r = {"batch": case["batch"], "size": case["size"]}
            r["forward"] = per_threads(threads, no_grad(lambda: m(xb)), scaling["runs"], warmup=1)
            r["gradcam"] = per_threads(threads, lambda: gradcam(m, lay, xb, cls, True), scaling["runs"], warmup=1)
            rows.append(r)


if __name__ == "__main__":
    main()
