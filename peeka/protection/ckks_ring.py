"""Exact arithmetic on CKKS ciphertexts in numpy, bit-compatible with SEAL's.

TenSEAL gives SEAL's keys and encryption but no fast way to compute on many ciphertexts: at two
60-bit primes a plaintext multiplication took 0.19 ms and a key switch 1.6 ms on the 2-core
development machine, so 1:N over 100,000 templates took 2.6 s. Matching only needs sums of
ciphertexts times integers, one multiplication by a plaintext and decryption, so `ckks` does
those here, on the residues SEAL's own encryption produced:

- A ring element is an int64 array (..., L, N): its residues modulo the L primes, in SEAL's NTT
  order (entry i is the value at psi**(2 * bitrev(i) + 1), psi SEAL's root of unity for the
  prime). Products of ring elements are then elementwise.
- `Ring.weighted_sums` adds up many ciphertexts, each times its own integer, as ONE float64
  matrix product (BLAS): with primes below 2**40 and the integers cut into 8-bit digits, every
  partial sum stays below 2**53, where doubles are exact integers.
- The NTT, its inverse and the CKKS slot encoding follow SEAL (slot k sits at the root
  zeta**(3**k)); the tests check them against SEAL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Complexes = npt.NDArray[np.complex128]

MAX_PRIME_BITS = 40
"""Primes up to 2**40 keep `weighted_sums` exact and `Ring.multiply`'s quotient estimate right."""
_EXACT_BITS = 53  # doubles hold every integer below 2**53 exactly
# x + 1.5 * 2**52 is round(x) + 1.5 * 2**52 exactly for |x| < 2**51: the integer in the low bits.
_ROUNDING = 1.5 * 2.0**52
_ROUNDING_BITS = np.array(_ROUNDING).view(np.int64)


@dataclass(frozen=True)
class Digits:
    """Integer weights cut into balanced digits (`Ring.digits`): rows (count * digit_count, J)
    as float64, least significant digit first within each weight row."""

    rows: Floats
    bits: int
    count: int
    digit_count: int


@dataclass(frozen=True)
class Operand:
    """A multiplicand in residues (..., L, N) with residues / q precomputed."""

    values: Ints
    ratios: Floats


class Ring:
    """Z_Q[X] / (X^N + 1) for Q = q_0 * ... * q_{L-1}, with SEAL's roots and NTT order."""

    def __init__(self, degree: int, primes: Sequence[int], roots: Sequence[int]) -> None:
        """`roots[l]`: the primitive 2N-th root of unity modulo `primes[l]` that SEAL's NTT
        uses (`NTTTables(log2 N, prime).get_root()`)."""
        if degree < 8 or degree & (degree - 1):
            raise ValueError(f"the ring degree must be a power of two, got {degree}")
        if not primes or len(primes) != len(roots):
            raise ValueError("the ring needs one root of unity per prime")
        for prime, root in zip(primes, roots, strict=True):
            if not 2 < prime < 2**MAX_PRIME_BITS or (prime - 1) % (2 * degree):
                raise ValueError(f"{prime} is not a prime = 1 mod 2N below 2**{MAX_PRIME_BITS}")
            if pow(root, degree, prime) != prime - 1:
                raise ValueError(f"{root} is not a primitive 2N-th root of unity mod {prime}")
        self.degree = degree
        self.slots = degree // 2
        self.primes = tuple(int(prime) for prime in primes)
        self._q = np.array(self.primes, dtype=np.int64)[:, None]
        self.primes_column = self._q
        self._qf = self._q.astype(np.float64)
        order = _bit_reversal(degree)
        # Forward NTT level h uses psi**bitrev(h + i) for i < h (SEAL's table); the inverse,
        # run as a decimation in time on bit-reversed input, uses powers of omega**-1 = psi**-2.
        forward = np.stack(
            [_powers(root, prime, degree)[order] for root, prime in zip(roots, primes, strict=True)]
        )
        inverse = np.stack(
            [
                _powers(pow(root, -2, prime), prime, degree // 2)
                for root, prime in zip(roots, primes, strict=True)
            ]
        )
        # Butterflies within blocks smaller than a tile run on tiles: the array viewed as
        # (L, position in tile, tile), so that every numpy loop runs along a long axis (strided
        # loops of 2 to 8 elements made those levels 3 to 7 times slower).
        self._tile = 1 << ((degree.bit_length() - 1 + 1) // 2)
        tiles = degree // self._tile
        self._forward_natural: list[tuple[int, Operand]] = []
        self._forward_tiled: list[tuple[int, int, Operand]] = []
        self._inverse_tiled: list[tuple[int, Operand]] = []
        self._inverse_natural: list[tuple[int, Operand]] = []
        half = 1
        while half < degree:
            span = degree // (2 * half)
            twiddles = np.ascontiguousarray(forward[:, half : 2 * half])
            if 2 * span > self._tile:
                self._forward_natural.append((half, self._twiddles(twiddles[:, :, None])))
            else:
                groups = self._tile // (2 * span)
                tiled = twiddles.reshape(len(primes), tiles, groups).transpose(0, 2, 1)
                self._forward_tiled.append((span, groups, self._twiddles(tiled[:, :, None, :])))
            twiddles = np.ascontiguousarray(inverse[:, :: degree // (2 * half)][:, :half])
            if 2 * half <= self._tile:
                self._inverse_tiled.append((half, self._twiddles(twiddles[:, None, :, None])))
            else:
                self._inverse_natural.append((half, self._twiddles(twiddles[:, None, :])))
            half *= 2
        # a_t = N^-1 psi^-t c_t after the inverse cyclic transform.
        untwist = np.stack(
            [
                _powers(pow(root, -1, prime), prime, degree, start=pow(degree, -1, prime))
                for root, prime in zip(roots, primes, strict=True)
            ]
        )
        self._untwist_ntt = Operand(untwist, untwist / self._qf)
        self._inv_degree = np.array([pow(degree, -1, p) for p in primes], dtype=np.int64)[:, None]
        # X^(N/2) is i in the even slots and -i in the odd ones (3**k is 1 or 3 mod 4).
        monomial = np.zeros((len(primes), degree), dtype=np.int64)
        monomial[:, degree // 2] = 1
        self.half_turn = self.ntt(monomial)
        self.half_turn_signs = np.where(np.arange(self.slots) % 2 == 0, 1.0, -1.0)
        # Slot k is the value at zeta**(3**k) with zeta = exp(i pi / N) (SEAL's generator 3);
        # its conjugate sits at zeta**(-3**k). Position j of an evaluation vector is the root
        # zeta**(2j + 1).
        exponents = np.array([pow(3, k, 2 * degree) for k in range(self.slots)])
        self._slot_positions = (exponents - 1) // 2
        self._conjugate_positions = (2 * degree - exponents - 1) // 2
        powers = np.arange(degree)
        self._untwist = np.exp(-1j * np.pi * powers / degree)
        self._twist = np.exp(1j * np.pi * powers / degree)

    @property
    def levels(self) -> int:
        return len(self.primes)

    # Residue arithmetic ------------------------------------------------------------------------

    def reduce(self, values: Ints) -> Ints:
        """Any int64 (..., L, N) into [0, q)."""
        reduced: Ints = np.mod(values, self._q)
        return reduced

    def residues(self, coefficients: Ints) -> Ints:
        """Integer coefficients (..., N) as residues (..., L, N) in [0, q)."""
        spread = coefficients[..., None, :]
        if np.max(np.abs(coefficients), initial=0) < min(self.primes):
            return self.fold(spread + np.zeros_like(self._q))
        return self.reduce(spread)

    def operand(self, values: Ints) -> Operand:
        """`values` (residues in [0, q)) ready to multiply by, possibly many times."""
        return Operand(values, values / self._qf)

    def multiply(self, a: Ints, b: Operand) -> Ints:
        """a * b mod q in [0, q), for |a| < 2**45 (b broadcast over a)."""
        return self.fold(self.multiply_lazy(a, b))

    def multiply_lazy(self, a: Ints, b: Operand) -> Ints:
        """a * b mod q up to one q too few or too many: in (-q, 2q)."""
        return _multiply_lazy(a, b.values, b.ratios, self._q)

    def fold(self, values: Ints) -> Ints:
        """Values in (-q, 2q) into [0, q), in place."""
        return _fold(values, self._q)

    def scale(self, a: Ints, factor: int) -> Ints:
        """a * factor mod q, for an integer `factor` of any size."""
        factors = np.array([factor % p for p in self.primes], dtype=np.int64)[:, None]
        return self.multiply(a, self.operand(factors))

    def centered(self, residues: Ints) -> Floats:
        """Residues as float64 in (-q/2, q/2]: exact, for `weighted_sums`."""
        centered = np.where(residues > self._q // 2, residues - self._q, residues)
        return centered.astype(np.float64)

    def from_centered(self, centered: Floats) -> Ints:
        return self.reduce(centered.astype(np.int64))

    def conjugate(self, residues: Ints) -> Ints:
        """sigma(a)(X) = a(X^-1), which conjugates every slot: in SEAL's NTT order the value
        at psi**(2j+1) moves to the inverse root, i.e. the last axis is reversed."""
        flipped: Ints = residues[..., ::-1]
        return flipped

    def constant_coefficient(self, residues: Ints) -> Ints:
        """Coefficient 0 of ring elements (..., L, N), as residues (..., L): the sum of the
        values at all 2N-th roots over N."""
        # N values below 2**40 sum to less than 2**53.
        total = np.mod(residues.sum(axis=-1), self._q[:, 0])
        return self.multiply(total[..., None], self.operand(self._inv_degree))[..., 0]

    # NTT ----------------------------------------------------------------------------------------

    def ntt(self, residues: Ints) -> Ints:
        """Residues (..., L, N) of coefficients in [0, q) to SEAL's NTT form (Cooley-Tukey,
        natural order in, bit-reversed out). Butterflies stay unreduced: values grow by at most
        2q per level, under 2**45 after 13 levels, which `_multiply_lazy` handles."""
        values = np.array(residues, dtype=np.int64, copy=True)
        lead = values.shape[:-2]
        levels = self.levels
        for half, twiddles in self._forward_natural:
            blocks = values.reshape((*lead, levels, half, 2, self.degree // (2 * half)))
            self._butterflies(blocks[..., 0, :], blocks[..., 1, :], twiddles)
        tiled = self._to_tiles(values)
        for span, groups, twiddles in self._forward_tiled:
            blocks = tiled.reshape((*lead, levels, groups, 2, span, tiled.shape[-1]))
            self._butterflies(blocks[..., 0, :, :], blocks[..., 1, :, :], twiddles)
        return self.reduce(self._from_tiles(tiled))

    def intt(self, residues: Ints) -> Ints:
        """Inverse of `ntt`: SEAL's order is the bit-reversed order of the values at
        psi * omega**j, so a decimation-in-time transform with omega**-1 gives their inverse
        cyclic transform in natural order (again with unreduced, linearly growing butterflies),
        and a_t = N^-1 psi^-t of it."""
        lead = residues.shape[:-2]
        levels = self.levels
        tiled = self._to_tiles(residues)
        for half, twiddles in self._inverse_tiled:
            blocks = tiled.reshape((*lead, levels, -1, 2, half, tiled.shape[-1]))
            self._butterflies(blocks[..., 0, :, :], blocks[..., 1, :, :], twiddles)
        values = self._from_tiles(tiled)
        for half, twiddles in self._inverse_natural:
            blocks = values.reshape((*lead, levels, self.degree // (2 * half), 2, half))
            self._butterflies(blocks[..., 0, :], blocks[..., 1, :], twiddles)
        return self.fold(self.multiply_lazy(values, self._untwist_ntt))

    def _butterflies(self, upper: Ints, lower: Ints, twiddles: Operand) -> None:
        """(upper, lower) <- (upper + w lower, upper - w lower), in place and unreduced."""
        q = self._q.reshape((self.levels,) + (1,) * (twiddles.values.ndim - 1))
        product = _multiply_lazy(lower, twiddles.values, twiddles.ratios, q)
        np.subtract(upper, product, out=lower)
        upper += product

    def _twiddles(self, values: Ints) -> Operand:
        """Twiddle factors shaped to broadcast against butterflies: L is their first axis."""
        extra = values.ndim - 2
        ratios = values / self._qf.reshape((self.levels,) + (1,) * (extra + 1))
        return Operand(values, ratios)

    def _to_tiles(self, values: Ints) -> Ints:
        """(..., L, N) as (..., L, position in tile, tile), a copy."""
        shape = (*values.shape[:-1], self.degree // self._tile, self._tile)
        return np.ascontiguousarray(values.reshape(shape).swapaxes(-1, -2))

    def _from_tiles(self, tiled: Ints) -> Ints:
        natural: Ints = np.ascontiguousarray(tiled.swapaxes(-1, -2))
        return natural.reshape((*tiled.shape[:-2], self.degree))

    # CKKS encoding -----------------------------------------------------------------------------

    def encode(self, values: npt.ArrayLike, scale: float) -> Ints:
        """The integer polynomial (N,) whose slots hold `values` (up to N/2, complex or real)
        times `scale`, rounded. Real values give a polynomial with a(X^-1) = a(X) exactly, so
        its slots are exactly real. Coefficients must stay below 2**62; double precision
        leaves an error of about |largest coefficient| * 2**-50 per coefficient."""
        slots = np.zeros(self.slots, dtype=np.complex128)
        given = np.asarray(values)
        slots[: given.size] = given
        spectrum = np.zeros(self.degree, dtype=np.complex128)
        spectrum[self._slot_positions] = slots * scale
        spectrum[self._conjugate_positions] = np.conj(slots) * scale
        coefficients = (scipy.fft.fft(spectrum) * self._untwist).real / self.degree
        if np.max(np.abs(coefficients), initial=0.0) >= 2.0**62:
            raise ValueError("the values are too large to encode at this scale")
        rounded: Ints = np.round(coefficients).astype(np.int64)
        if not np.iscomplexobj(given):
            # sigma(a) = a means a_{N-t} = -a_t and a_{N/2} = 0: make it exact.
            half = self.degree // 2
            rounded[half + 1 :] = -rounded[1:half][::-1]
            rounded[half] = 0
        return rounded

    def encode_ntt(self, values: npt.ArrayLike, scale: float) -> Ints:
        """`encode`, as residues in NTT form (L, N)."""
        return self.ntt(self.residues(self.encode(values, scale)))

    def decode(self, coefficients: Floats) -> Complexes:
        """The slots (..., N/2) of polynomials given by real coefficients (..., N)."""
        spectrum = scipy.fft.ifft(coefficients * self._twist, axis=-1) * self.degree
        slots: Complexes = spectrum[..., self._slot_positions]
        return slots

    # Chinese remaindering ---------------------------------------------------------------------

    def to_float(self, residues: Ints) -> Floats:
        """The integers in (-Q/2, Q/2] with these residues (L, ...), as float64 with a relative
        error below 2**-51: mixed radix x = v_0 + q_0 (v_1 + q_1 (v_2 + ...)) with the top digit
        taken in (-q/2, q/2], so that the float sums hold no cancellation."""
        digits = self._mixed_radix(residues)
        top = digits[-1]
        top_prime = self.primes[-1]
        digits[-1] = np.where(top > top_prime // 2, top - top_prime, top)
        value = digits[-1].astype(np.float64)
        for digit, prime in zip(digits[-2::-1], self.primes[-2::-1], strict=True):
            value = value * float(prime) + digit.astype(np.float64)
        return value

    def to_int(self, residues: Sequence[int]) -> int:
        """The integer in (-Q/2, Q/2] with these residues, exactly."""
        modulus = math.prod(self.primes)
        value = 0
        for residue, prime in zip(residues, self.primes, strict=True):
            rest = modulus // prime
            value += int(residue) * rest * pow(rest, -1, prime)
        value %= modulus
        return value - modulus if value > modulus // 2 else value

    def _mixed_radix(self, residues: Ints) -> list[Ints]:
        digits: list[Ints] = []
        for level, prime in enumerate(self.primes):
            digit = residues[level].astype(np.int64)
            for lower, lower_prime in zip(digits, self.primes[:level], strict=False):
                inverse = pow(lower_prime, -1, prime)
                # lower < lower_prime < 2 prime, so digit - lower is in (-2 prime, prime).
                difference = _fold(digit - lower + prime, prime)
                product = _multiply_lazy(difference, np.int64(inverse), inverse / prime, prime)
                digit = _fold(product, prime)
            digits.append(digit)
        return digits

    # Weighted sums of many ciphertexts ---------------------------------------------------------

    def digits(self, weights: Ints, count: int) -> Digits:
        """`weights` (K, count) cut into balanced digits small enough that count * digit * q/2
        stays below 2**53, for `weighted_sums` over `count` columns."""
        bits = self.digit_bits(count)
        largest = int(np.max(np.abs(weights), initial=0))
        digit_count = max(1, math.ceil((largest.bit_length() + 1) / bits))
        rows = _balanced_digits(weights, bits, digit_count).reshape(-1, count)  # (K * P, J)
        return Digits(rows, bits, len(weights), digit_count)

    def weighted_sums(self, columns: Floats, weights: Digits) -> Ints:
        """sum_j weights[k, j] * columns[j] mod q for every row k of the weights.

        `columns` (J, ...) holds residues in (-q/2, q/2] as float64 (`centered`), flattened to
        (J, M); the result is (K, ...) in [0, q). One BLAS product handles all digits of all
        rows, exactly, and the digits are put back together by Horner's rule with exact float64
        remainders."""
        count = columns.shape[0]
        if weights.rows.shape[1] != count or weights.bits != self.digit_bits(count):
            raise ValueError("the weights were cut into digits for another column count")
        flat = columns.reshape(count, -1)
        shape = (weights.count, weights.digit_count, *columns.shape[1:])
        sums = (weights.rows @ flat).reshape(shape)
        q = self._qf.reshape((1,) * (columns.ndim - 3) + (self.levels, 1))
        inverse = 1.0 / q
        total = sums[:, -1].copy()
        for index in range(weights.digit_count - 2, -1, -1):
            _float_remainder(total, q, inverse)
            total *= float(1 << weights.bits)
            total += sums[:, index]
        _float_remainder(total, q, inverse)
        return self.fold(total.astype(np.int64))

    def digit_bits(self, count: int) -> int:
        """Digit width for `weighted_sums` over `count` columns: the sum of count products of a
        digit (at most 2**(bits-1)) and a centered residue (at most q/2), plus Horner's carry
        (a remainder below 2q times 2**bits), must stay below 2**53."""
        top = max(self.primes)

        def exact(bits: int) -> bool:
            largest = count * (1 << (bits - 1)) * (top // 2) + (1 << bits) * 2 * top
            return largest < 1 << _EXACT_BITS

        bits = 1
        while exact(bits + 1) and bits < 24:
            bits += 1
        if not exact(bits) or bits < 2:
            raise ValueError(f"{count} columns are too many for exact sums")
        return bits


def _multiply_lazy(a: Ints, b: Ints | np.int64, ratio: Floats | float, q: Ints | int) -> Ints:
    """a * b - k q in (-q, q) with k the integer nearest to a * b / q, for |a| < 2**45 and
    0 <= b < q < 2**40.

    k comes from float64: a * (b / q) is off by less than 2**-7, and adding 1.5 * 2**52 leaves
    it rounded to an integer in the low bits of the double (cheaper than floor and a cast).
    The products wrap around 2**64 but their difference is exact."""
    estimate = a * ratio
    estimate += _ROUNDING
    quotient = estimate.view(np.int64)
    quotient -= _ROUNDING_BITS
    quotient *= q
    product: Ints = a * b
    product -= quotient
    return product


def _fold(values: Ints, q: Ints | int) -> Ints:
    """Values in (-q, 2q) into [0, q), in place: two conditional corrections without branches
    (numpy's integer remainder is a division, about 20 times slower)."""
    values += (values >> 63) & q
    values -= q
    values += (values >> 63) & q
    return values


def _float_remainder(values: Floats, q: Floats, inverse: Floats) -> None:
    """values mod q in place, for integer-valued float64 below 2**53, into (-q, 2q): exact,
    since floor(values / q) * q is an integer below 2**53 as well."""
    quotient = values * inverse
    np.floor(quotient, out=quotient)
    quotient *= q
    values -= quotient


def _balanced_digits(values: Ints, bits: int, count: int) -> Floats:
    """Digits d_p in [-2**(bits-1), 2**(bits-1)) with values = sum_p d_p 2**(bits p), stacked
    on a new axis 1 (least significant first), as float64."""
    rest = values.astype(np.int64)
    half = 1 << (bits - 1)
    mask = (1 << bits) - 1
    digits = []
    for _ in range(count):
        digit = ((rest + half) & mask) - half
        digits.append(digit)
        rest = (rest - digit) >> bits
    if np.any(rest != 0):
        raise ValueError("the weights need more digits")
    stacked: Floats = np.stack(digits, axis=1).astype(np.float64)
    return stacked


def _bit_reversal(degree: int) -> npt.NDArray[np.intp]:
    bits = degree.bit_length() - 1
    indices = np.arange(degree)
    reversed_indices = np.zeros(degree, dtype=np.intp)
    for bit in range(bits):
        reversed_indices |= ((indices >> bit) & 1) << (bits - 1 - bit)
    return reversed_indices


def _powers(base: int, prime: int, count: int, start: int = 1) -> Ints:
    """start * base**t mod prime for t < count."""
    powers = np.empty(count, dtype=np.int64)
    value = start % prime
    for index in range(count):
        powers[index] = value
        value = value * base % prime
    return powers
