"""Small image operations shared by the classical analyzers (torch for filtering, numpy for the rest).

scipy and scikit-image are not dependencies of ``ml``; these are the few pieces we need, written so
that every size is given in pixels by the caller (who derives it from the calibration).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F


def to_grey_float(frame: np.ndarray) -> np.ndarray:
    """HxW or HxWx3 uint8 -> HxW float32 in grey levels (0..255)."""
    a = np.asarray(frame)
    if a.ndim == 3:
        a = a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return a.astype(np.float32, copy=False)


def _kernel1d(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3.0 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def reflect_noise_gain(n: int, sigma: float) -> np.ndarray:
    """Per-position noise gain of the reflect-padded Gaussian of :func:`_gaussian_t` along one axis,
    relative to the interior (1.0 away from the ends, up to ~1.3 at the first and last pixel).

    Reflection feeds the same noisy pixels into both halves of the kernel at an edge, so white
    noise comes out stronger there; dividing a filtered image by this gain keeps a detection
    threshold in noise units equally strict at the edges as in the middle.
    """
    k = _kernel1d(sigma).numpy().astype(np.float64)
    r = (k.size - 1) // 2
    if r >= n:  # _gaussian_t replicates instead; too short to matter
        return np.ones(n, np.float32)
    interior = math.sqrt(float((k**2).sum()))
    gain = np.ones(n, np.float64)
    for i in itertools.chain(range(min(r, n)), range(max(r, n - r), n)):
        w = np.zeros(n, np.float64)
        for o in range(-r, r + 1):
            j = i + o
            j = -j if j < 0 else (2 * (n - 1) - j if j >= n else j)
            w[j] += k[o + r]
        gain[i] = math.sqrt(float((w**2).sum())) / interior
    return gain.astype(np.float32)


def gaussian(img: np.ndarray | torch.Tensor, sigma: float) -> np.ndarray:
    """Gaussian blur with reflect padding; works on HxW or NxHxW arrays."""
    t = torch.as_tensor(np.ascontiguousarray(img), dtype=torch.float32)
    squeeze = t.ndim == 2
    if squeeze:
        t = t[None]
    out = t if sigma <= 0.05 else _gaussian_t(t[:, None], sigma)[:, 0]
    res = out.numpy()
    return res[0] if squeeze else res


def _gaussian_t(t: torch.Tensor, sigma: float) -> torch.Tensor:
    """t: Nx1xHxW float tensor. Separable, as a depthwise convolution (frames as channels: much
    faster on CPU than a one-channel conv2d)."""
    k = _kernel1d(sigma)
    r = (k.numel() - 1) // 2
    n, _, h, w = t.shape
    x = t.reshape(1, n, h, w)
    mode = "reflect" if r < min(h, w) else "replicate"
    x = F.pad(x, (r, r, 0, 0), mode=mode)
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(n, 1, 1, -1).contiguous(), groups=n)
    x = F.pad(x, (0, 0, r, r), mode=mode)
    x = F.conv2d(x, k.view(1, 1, -1, 1).expand(n, 1, -1, 1).contiguous(), groups=n)
    return x.reshape(n, 1, h, w)


def _box_widths(sigma: float, n: int = 3) -> list[int]:
    """Odd box widths whose n-fold convolution has standard deviation ~sigma (Kovesi 2010)."""
    w_ideal = math.sqrt(12 * sigma * sigma / n + 1)
    wl = math.floor(w_ideal)
    if wl % 2 == 0:
        wl -= 1
    wu = wl + 2
    m = round((12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4))
    return [wl if i < m else wu for i in range(n)]


def _box1d(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Mean over 2r+1 samples along axis 0 or 1 of a 2D array, edges replicated (one cumsum).

    float32 sums: for 8-bit images the rounding error stays below ~0.05 grey levels.
    """
    if r <= 0:
        return a
    n = a.shape[axis]
    if axis == 0:
        c = np.cumsum(np.pad(a, ((r + 1, r), (0, 0)), mode="edge"), axis=0, dtype=np.float32)
        return (c[2 * r + 1 :] - c[:n]) * np.float32(1.0 / (2 * r + 1))
    c = np.cumsum(np.pad(a, ((0, 0), (r + 1, r)), mode="edge"), axis=1, dtype=np.float32)
    return (c[:, 2 * r + 1 :] - c[:, :n]) * np.float32(1.0 / (2 * r + 1))


def gaussian_box(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of one 2D image approximated by three box filters (numpy cumsums).

    Much faster than a one-channel torch convolution on CPU, any sigma, edges replicated.
    """
    a = np.asarray(img, dtype=np.float32)
    if sigma < 1.2:  # three boxes of width 1-3 px are a poor Gaussian
        return gaussian(a, sigma)
    for wdt in _box_widths(sigma):
        r = (wdt - 1) // 2
        a = _box1d(_box1d(a, r, a.ndim - 1), r, a.ndim - 2)
    return a


def _upsample_axis(a: np.ndarray, f: int, n: int, axis: int) -> np.ndarray:
    """Linear interpolation of block means back to n samples along one axis (block centres aligned)."""
    m = a.shape[axis]
    src = np.clip((np.arange(n) + 0.5) / f - 0.5, 0, m - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, m - 1)
    w = (src - i0).astype(np.float32)
    shape = [1] * a.ndim
    shape[axis] = n
    w = w.reshape(shape)
    return np.take(a, i0, axis=axis) * (1 - w) + np.take(a, i1, axis=axis) * w


def gaussian_fast(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2D image for large sigma: computed at reduced resolution, interpolated back.

    Accurate to a fraction of a grey level for the smooth backgrounds it is used for. Pure numpy:
    on a busy 2-core machine small torch calls cost more in thread hand-offs than in arithmetic.
    """
    f = int(sigma // 4)
    if f < 2:
        return gaussian_box(img, sigma)
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape
    hp, wp = -(-h // f) * f, -(-w // f) * f
    small = np.pad(a, ((0, hp - h), (0, wp - w)), mode="edge").reshape(hp // f, f, wp // f, f).mean(axis=(1, 3))
    small = gaussian_box(small, math.sqrt(max(sigma * sigma - f * f / 12.0, 0.25)) / f)
    return _upsample_axis(_upsample_axis(small, f, h, 0), f, w, 1).astype(np.float32)


def box_mean(img: np.ndarray, radius: int) -> np.ndarray:
    t = torch.as_tensor(np.ascontiguousarray(img), dtype=torch.float32)[None, None]
    r = max(1, int(radius))
    t = F.pad(t, (r, r, r, r), mode="replicate")
    return F.avg_pool2d(t, 2 * r + 1, stride=1)[0, 0].numpy()


def local_maxima(img: np.ndarray, radius: int, threshold: float) -> np.ndarray:
    """(row, col) of pixels that are the maximum of their (2r+1)^2 neighbourhood and above threshold."""
    t = torch.as_tensor(np.ascontiguousarray(img), dtype=torch.float32)[None, None]
    r = max(1, int(radius))
    h, w = t.shape[-2:]
    k = min(2 * r + 1, 2 * ((min(h, w) - 1) // 2) + 1) if min(h, w) < 2 * r + 1 else 2 * r + 1
    k = max(1, k)
    m = F.max_pool2d(t, k, stride=1, padding=k // 2)
    peaks = (t == m) & (t > threshold)
    rc = torch.nonzero(peaks[0, 0]).numpy()
    if len(rc) > 1:
        # plateaus give several equal maxima: keep one per plateau via a minimum spacing
        vals = img[rc[:, 0], rc[:, 1]]
        order = np.argsort(-vals, kind="stable")
        rc = rc[order]
        keep = suppress_close(rc.astype(np.float32), float(r))
        rc = rc[keep]
    return rc


def suppress_close(points: np.ndarray, min_dist: float) -> np.ndarray:
    """Indices of points to keep (points sorted best-first) so that no two are closer than min_dist."""
    n = len(points)
    keep: list[int] = []
    if n == 0:
        return np.zeros(0, dtype=int)
    cell = max(min_dist, 1.0)
    grid: dict[tuple[int, int], list[int]] = {}
    d2 = min_dist * min_dist
    for i in range(n):
        y, x = float(points[i, 0]), float(points[i, 1])
        gy, gx = int(y // cell), int(x // cell)
        ok = True
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for j in grid.get((gy + dy, gx + dx), ()):
                    if (points[j, 0] - y) ** 2 + (points[j, 1] - x) ** 2 < d2:
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                break
        if ok:
            keep.append(i)
            grid.setdefault((gy, gx), []).append(i)
    return np.array(keep, dtype=int)


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected component labelling by run-length union-find. Returns (labels int32, count)."""
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    labels = np.zeros((h, w), dtype=np.int32)
    if not mask.any():
        return labels, 0
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    starts_r, starts_c = np.nonzero(d == 1)
    _, ends_c = np.nonzero(d == -1)  # exclusive end
    n = len(starts_r)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_index: dict[int, tuple[int, int]] = {}
    # runs come sorted by row then column
    if n:
        rows = starts_r
        change = np.flatnonzero(np.diff(rows)) + 1
        bounds = np.concatenate([[0], change, [n]])
        for b0, b1 in itertools.pairwise(bounds):
            row_index[int(rows[b0])] = (int(b0), int(b1))
    for r, (a0, a1) in row_index.items():
        prev = row_index.get(r - 1)
        if prev is None:
            continue
        p0, p1 = prev
        j = p0
        for i in range(a0, a1):
            s, e = starts_c[i], ends_c[i]
            while j < p1 and ends_c[j] < s:  # 8-connectivity: touching diagonally counts
                j += 1
            k = j
            while k < p1 and starts_c[k] <= e:
                ri, rk = find(i), find(k)
                if ri != rk:
                    parent[max(ri, rk)] = min(ri, rk)
                k += 1
    roots = np.array([find(i) for i in range(n)])
    uniq, inverse = np.unique(roots, return_inverse=True)
    comp = inverse.astype(np.int32) + 1
    lens = ends_c - starts_c
    rr = np.repeat(starts_r, lens)
    offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    cc = np.repeat(starts_c, lens) + offs
    labels[rr, cc] = np.repeat(comp, lens)
    return labels, len(uniq)


def distance_transform(mask: np.ndarray) -> np.ndarray:
    """Approximate Euclidean distance (in px) of each foreground pixel to the background.

    Two-pass chamfer (3-4 weights / 3) in numpy, vectorised along rows; error below ~8 %.
    """
    m = np.asarray(mask, dtype=bool)
    h, w = m.shape
    big = float(h + w) * 3.0
    d = np.where(m, big, 0.0).astype(np.float64)
    d = np.pad(d, 1, constant_values=0.0)
    a, b = 1.0, math.sqrt(2.0)
    # forward pass
    for r in range(1, h + 1):
        row = d[r]
        up = d[r - 1]
        cand = np.minimum(np.minimum(up[1:-1] + a, up[:-2] + b), up[2:] + b)
        row[1:-1] = np.minimum(row[1:-1], cand)
        # left-to-right along the row: running minimum of (d[c-k] + k*a)
        _row_sweep(row)
    for r in range(h, 0, -1):
        row = d[r]
        dn = d[r + 1]
        cand = np.minimum(np.minimum(dn[1:-1] + a, dn[:-2] + b), dn[2:] + b)
        row[1:-1] = np.minimum(row[1:-1], cand)
        _row_sweep(row)
    return d[1:-1, 1:-1].astype(np.float32)


def _row_sweep(row: np.ndarray) -> None:
    idx = np.arange(row.size, dtype=np.float64)
    # forward: min over k<=c of row[k] + (c-k) == min.accumulate(row - idx) + idx
    fwd = np.minimum.accumulate(row - idx) + idx
    bwd = (np.minimum.accumulate((row + idx)[::-1]))[::-1] - idx
    np.minimum(row, np.minimum(fwd, bwd), out=row)


def region_props(labels: np.ndarray, n: int) -> list[dict[str, float]]:
    """Area, centroid and second moments per label 1..n (vectorised with bincount)."""
    ys, xs = np.nonzero(labels)
    lab = labels[ys, xs]
    cnt = np.bincount(lab, minlength=n + 1).astype(np.float64)
    sx = np.bincount(lab, xs, minlength=n + 1)
    sy = np.bincount(lab, ys, minlength=n + 1)
    sxx = np.bincount(lab, xs.astype(np.float64) ** 2, minlength=n + 1)
    syy = np.bincount(lab, ys.astype(np.float64) ** 2, minlength=n + 1)
    sxy = np.bincount(lab, xs.astype(np.float64) * ys, minlength=n + 1)
    out = []
    for i in range(1, n + 1):
        c = cnt[i]
        if c == 0:
            out.append({"area": 0.0})
            continue
        mx, my = sx[i] / c, sy[i] / c
        # +1/12: a pixel is a unit square, not a point
        vxx = sxx[i] / c - mx * mx + 1 / 12
        vyy = syy[i] / c - my * my + 1 / 12
        vxy = sxy[i] / c - mx * my
        out.append({"area": c, "cx": mx, "cy": my, "vxx": vxx, "vyy": vyy, "vxy": vxy})
    return out


def ellipse_from_moments(vxx: float, vyy: float, vxy: float) -> tuple[float, float, float]:
    """Full axis lengths (major, minor) and angle (radians) of the ellipse with these second moments."""
    tr = vxx + vyy
    det = vxx * vyy - vxy * vxy
    disc = math.sqrt(max(tr * tr / 4 - det, 0.0))
    l1 = tr / 2 + disc
    l2 = max(tr / 2 - disc, 1e-9)
    angle = 0.5 * math.atan2(2 * vxy, vxx - vyy)
    return 4 * math.sqrt(l1), 4 * math.sqrt(l2), angle
