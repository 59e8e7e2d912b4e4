"""backchain.torch against PyTorch 2.13: one table of (name, program) run on both namespaces, comparing
values, dtypes, shapes, printed form and gradients."""
import numpy as np
import pytest
import torch

import backchain as bc
import backchain.numpy as bnp
import backchain.torch as bt

pytestmark = pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")  # PyTorch's own warning

X = np.array([[0.3, -1.2, 2.5, 0.7], [-0.4, 1.1, -2.2, 0.05], [1.7, -0.9, 0.2, -1.5]], dtype=np.float32)

# (name, program(T, x)); x is a (3, 4) float32 tensor that requires grad
CASES = [
    ("sum_dim", lambda T, x: x.sum(1)),
    ("sum_keepdim", lambda T, x: x.sum(dim=0, keepdim=True)),
    ("sum_all", lambda T, x: T.sum(x)),
    ("mean_dim", lambda T, x: T.mean(x, dim=-1)),
    ("mean_dims", lambda T, x: x.mean((0, 1))),
    ("std_all_unbiased", lambda T, x: x.std()),
    ("std_dim", lambda T, x: x.std(0)),
    ("var_biased", lambda T, x: x.var(1, unbiased=False)),
    ("var_correction", lambda T, x: T.var(x, dim=1, correction=0, keepdim=True)),
    ("prod_dim", lambda T, x: x.prod(1)),
    ("data_max_indices", lambda T, x: x.data.max(1)[1]),
    ("data_is_detached", lambda T, x: x.data * 2),
    ("data_as_constant", lambda T, x: x * x.data),
    ("data_sum_eq", lambda T, x: (x.data.argmax(1) == T.tensor([2, 1, 0])).sum()),
    ("max_values", lambda T, x: x.max(1).values),
    ("max_indices", lambda T, x: x.max(1)[1]),
    ("max_unpacked", lambda T, x: x.max(dim=0)[0] * 2),
    ("min_keepdim", lambda T, x: x.min(0, keepdim=True).values),
    ("max_all", lambda T, x: x.max()),
    ("max_binary", lambda T, x: T.max(x, x * -1)),
    ("amax", lambda T, x: T.amax(x, dim=1)),
    ("argmax_dim", lambda T, x: x.argmax(1)),
    ("argmin_all", lambda T, x: T.argmin(x)),
    ("argmax_keepdim", lambda T, x: x.argmax(dim=0, keepdim=True)),
    ("logsumexp", lambda T, x: T.logsumexp(x, dim=1)),
    ("cumsum", lambda T, x: x.cumsum(1)),
    ("norm", lambda T, x: x.norm()),
    ("norm_dim", lambda T, x: x.norm(dim=1)),
    ("norm_p1", lambda T, x: x.norm(p=1, dim=0)),
    ("transpose", lambda T, x: x.transpose(0, 1) * 2),
    ("permute", lambda T, x: x.permute(1, 0)),
    ("t", lambda T, x: x.t()),
    ("T_attr", lambda T, x: x.T),
    ("view", lambda T, x: x.view(-1)),
    ("view_tuple", lambda T, x: x.view((2, 6))),
    ("view_as", lambda T, x: x.view_as(T.zeros(4, 3))),
    ("reshape", lambda T, x: x.reshape(4, -1)),
    ("flatten", lambda T, x: x.flatten()),
    ("flatten_start", lambda T, x: x.unsqueeze(0).flatten(1)),
    ("unsqueeze", lambda T, x: x.unsqueeze(-1)),
    ("squeeze_noop", lambda T, x: x.squeeze(0)),
    ("squeeze_dim", lambda T, x: x.unsqueeze(1).squeeze(1)),
    ("repeat", lambda T, x: x.repeat(2, 3)),
    ("repeat_more_dims", lambda T, x: x.repeat(2, 1, 1)),
    ("repeat_interleave", lambda T, x: x.repeat_interleave(2, dim=0)),
    ("expand", lambda T, x: x[:, :1].expand(-1, 5)),
    ("expand_as", lambda T, x: x[0].expand_as(x)),
    ("split_size", lambda T, x: x.split(3, 1)[1]),
    ("split_sizes", lambda T, x: T.split(x, [1, 3], dim=1)[1]),
    ("chunk", lambda T, x: x.chunk(2, 1)[1]),
    ("unbind", lambda T, x: T.unbind(x, 1)[2]),
    ("narrow", lambda T, x: x.narrow(1, 1, 2)),
    ("cat", lambda T, x: T.cat([x, x * 2], dim=1)),
    ("stack", lambda T, x: T.stack([x, x + 1], dim=1)),
    ("flip", lambda T, x: T.flip(x, [0])),
    ("roll", lambda T, x: T.roll(x, 1, 1)),
    ("softmax", lambda T, x: T.softmax(x, dim=1)),
    ("log_softmax", lambda T, x: x.log_softmax(dim=0)),
    ("exp", lambda T, x: T.exp(x)),
    ("sigmoid", lambda T, x: T.sigmoid(x)),
    ("tanh", lambda T, x: x.tanh()),
    ("relu", lambda T, x: T.relu(x)),
    ("sqrt", lambda T, x: (x * x + 1).sqrt()),
    ("rsqrt", lambda T, x: T.rsqrt(x * x + 1)),
    ("log", lambda T, x: (x * x + 1).log()),
    ("abs", lambda T, x: x.abs()),
    ("erf", lambda T, x: T.erf(x)),
    ("clamp", lambda T, x: x.clamp(min=-0.5, max=0.5)),
    ("clamp_min", lambda T, x: T.clamp(x, min=0.0)),
    ("where", lambda T, x: T.where(x > 0, x, x * 0.1)),
    ("where_scalar", lambda T, x: T.where(x > 0, x, 0.0)),
    ("matmul", lambda T, x: x @ x.t()),
    ("mm", lambda T, x: T.mm(x, x.t())),
    ("bmm", lambda T, x: T.bmm(x.unsqueeze(0), x.t().unsqueeze(0))),
    ("einsum", lambda T, x: T.einsum("ij,kj->ik", x, x)),
    ("outer", lambda T, x: T.outer(x[0], x[1])),
    ("cdist", lambda T, x: T.cdist(x, x[:2] + 1)),
    ("tril", lambda T, x: T.tril(x)),
    ("triu", lambda T, x: x.triu(1)),
    ("topk_values", lambda T, x: x.topk(2, dim=1).values),
    ("topk_indices", lambda T, x: T.topk(x, 2, largest=False).indices),
    ("sort_desc", lambda T, x: x.sort(dim=1, descending=True).values),
    ("sort_indices", lambda T, x: T.sort(x, 0)[1]),
    ("argsort", lambda T, x: x.argsort(dim=1)),
    ("gather", lambda T, x: x.gather(1, T.tensor([[0], [2], [1]]))),
    ("gather_full", lambda T, x: T.gather(x, 0, T.tensor([[2, 1, 0, 0], [0, 0, 1, 2]]))),
    ("scatter", lambda T, x: T.zeros(3, 4).scatter(1, T.tensor([[0], [2], [1]]), x[:, 1:2])),
    ("scatter_into_x", lambda T, x: x.scatter(0, T.tensor([[2, 0, 1, 1]]), x[1:2] * 5)),
    ("scatter_value", lambda T, x: x.scatter(1, T.tensor([[1], [0], [3]]), 9.0)),
    ("scatter_add", lambda T, x: T.ones(2, 4).scatter_add(0, T.tensor([[0, 1, 0, 1], [0, 0, 0, 1]]), x[:2])),
    ("index_select", lambda T, x: T.index_select(x, 1, T.tensor([3, 0, 3]))),
    ("masked_fill", lambda T, x: x.masked_fill(x > 0, 0.0)),
    ("masked_fill_tensor", lambda T, x: x.masked_fill(x < 0, T.tensor(-1.0))),
    ("masked_select", lambda T, x: x.masked_select(x > 0)),
    ("diag", lambda T, x: T.diag(x[:, :3])),
    ("clone", lambda T, x: x.clone() * 3),
    ("pow_int", lambda T, x: x ** 2),
    ("pow_int_tensor", lambda T, x: x ** T.tensor(2)),
    ("int_tensor_times_float", lambda T, x: T.arange(4) * 0.5 + x[0]),
    ("float32_plus_int64", lambda T, x: x + T.arange(4)),
    ("float32_plus_float64_scalar_tensor", lambda T, x: x + T.tensor(1.5, dtype=T.float64)),
    ("float32_plus_float64", lambda T, x: x + T.ones(4, dtype=T.float64)),
    ("div_ints", lambda T, x: T.arange(4) / 2 + x[0]),
    ("floor_div", lambda T, x: T.div(T.arange(6), 4, rounding_mode="floor")),
    ("add_alpha", lambda T, x: T.add(x, x * x, alpha=0.5)),
    ("double", lambda T, x: x.double() * 2),
    ("to_float64", lambda T, x: x.to(T.float64)),
    ("long", lambda T, x: (x * 10).long()),
    ("type_float", lambda T, x: (x * 10).long().float()),
    ("bool", lambda T, x: x.bool()),
    ("eq", lambda T, x: x.eq(x[0])),
    ("gt", lambda T, x: x.gt(0)),
    ("ge_op", lambda T, x: x >= 0.2),
    ("all", lambda T, x: (x > -10).all()),
    ("any_dim", lambda T, x: (x > 2).any(1)),
    ("sum_bool", lambda T, x: (x > 0).sum()),
    ("sum_bool_dim", lambda T, x: (x > 0).sum(dim=1)),
    ("nonzero", lambda T, x: (x > 0).nonzero()),
    ("median_all", lambda T, x: x.median()),
    ("median_dim", lambda T, x: x.median(1).values),
    ("new_zeros", lambda T, x: x.new_zeros(2, 3)),
    ("new_tensor", lambda T, x: x.new_tensor([1, 2])),
    ("zeros_like", lambda T, x: T.zeros_like(x) + x),
    ("getitem_mask", lambda T, x: x[x > 0]),
    ("getitem_long", lambda T, x: x[T.tensor([2, 0])]),
    ("getitem_none", lambda T, x: x[:, None, 1:3]),
    ("nansum", lambda T, x: T.nansum(x, dim=1)),
    ("nanmean", lambda T, x: T.nanmean(x)),
    ("quantile", lambda T, x: T.quantile(x, 0.3, dim=1)),
    ("unique", lambda T, x: T.unique((x * 2).round().detach())),
    ("unique_inverse", lambda T, x: T.unique(T.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)[1]),
    ("unique_counts", lambda T, x: T.unique(T.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)[2]),
    ("bincount", lambda T, x: T.bincount(T.tensor([0, 2, 2, 5]))),
    ("searchsorted", lambda T, x: T.searchsorted(T.tensor([-1.0, 0.0, 1.0]), x)),
    ("bucketize", lambda T, x: T.bucketize(x, T.tensor([-1.0, 0.0, 1.0]), right=True)),
    ("rot90", lambda T, x: T.rot90(x, 1, [0, 1])),
    ("kron", lambda T, x: T.kron(x[:2, :2], x[1:, 2:])),
    ("cross", lambda T, x: T.cross(x[:, :3], x[:, 1:], dim=1)),
    ("tensordot", lambda T, x: T.tensordot(x, x, dims=([1], [1]))),
    ("inner", lambda T, x: T.inner(x, x)),
    ("lerp", lambda T, x: T.lerp(x, x * x, 0.3)),
    ("addcmul", lambda T, x: T.addcmul(x, x, x, value=0.5)),
    ("addcdiv", lambda T, x: x.addcdiv(x, x * x + 1, value=2)),
    ("baddbmm", lambda T, x: T.baddbmm(T.ones(1, 3, 3), x.unsqueeze(0), x.t().unsqueeze(0), alpha=0.5)),
    ("frac", lambda T, x: T.frac(x * 3)),
    ("hypot", lambda T, x: T.hypot(x, x + 1)),
    ("logaddexp", lambda T, x: T.logaddexp(x, x * 2)),
    ("logit", lambda T, x: T.logit(T.sigmoid(x))),
    ("xlogy", lambda T, x: T.xlogy(x, x * x + 1)),
    ("erfc", lambda T, x: T.erfc(x)),
    ("digamma", lambda T, x: T.digamma(x * x + 1)),
    ("asinh", lambda T, x: T.asinh(x)),
    ("take", lambda T, x: T.take(x, T.tensor([0, 5, 11]))),
    ("take_along_dim", lambda T, x: T.take_along_dim(x, T.tensor([[0], [1], [2]]), dim=1)),
    ("select", lambda T, x: x.select(1, 2)),
    ("block_diag", lambda T, x: T.block_diag(x[:1, :2], x[1:, 2:])),
    ("broadcast_tensors", lambda T, x: T.broadcast_tensors(x, x[:1])[1]),
    ("triu_indices", lambda T, x: T.triu_indices(3, 4)),
    ("clamp_min", lambda T, x: x.clamp_min(0.1)),
    ("clamp_at_bounds", lambda T, x: T.clamp(T.round(x * 2) / 2, -0.5, 0.5)),
    ("exp_in_place", lambda T, x: (x * 1).exp_()),
    ("sigmoid_in_place", lambda T, x: (x + 0).sigmoid_() * 2),
    ("fill_diagonal_", lambda T, x: (x * 1).fill_diagonal_(0.0)),
    ("mH", lambda T, x: x.mH),
    # all elements equal (x - x.detach() is 0 with gradient 1): every window is a tie
    ("max_pool_ties", lambda T, x: T.nn.functional.max_pool2d((x - x.detach() + 1).view(1, 1, 3, 4), 2,
                                                              ceil_mode=True)),
    ("max_pool_layer_ties", lambda T, x: T.nn.MaxPool2d(2, ceil_mode=True)((x - x.detach()).view(1, 1, 3, 4))),
    ("adaptive_max_pool_ties", lambda T, x: T.nn.AdaptiveMaxPool2d(2)((x - x.detach()).view(1, 1, 3, 4))),
    ("max_dim_ties", lambda T, x: (x - x.detach()).max(1).values),
    ("vdot", lambda T, x: T.vdot(x[0], x[1])),
    ("chain_matmul", lambda T, x: T.chain_matmul(x, x.t(), x)),
    ("cartesian_prod", lambda T, x: T.cartesian_prod(x[0, :2], x[1, :3])),
    ("combinations", lambda T, x: T.combinations(x[0], 2)),
    ("combinations_replacement", lambda T, x: T.combinations(x[1, :3], 2, with_replacement=True)),
    ("trapezoid", lambda T, x: T.trapezoid(x, dim=1)),
    ("trapezoid_x", lambda T, x: T.trapezoid(x, T.tensor([0.0, 0.5, 2.0, 2.5]))),
    ("cumulative_trapezoid", lambda T, x: T.cumulative_trapezoid(x, dim=1)),
    ("cumulative_trapezoid_dim0", lambda T, x: T.cumulative_trapezoid(x, dx=0.5, dim=0)),
    ("diag_embed", lambda T, x: T.diag_embed(x)),
    ("diag_embed_offset", lambda T, x: T.diag_embed(x[:, :2], offset=1)),
    ("bitwise_and", lambda T, x: T.bitwise_and(T.tensor([12, 10]), T.tensor([10, 6]))),
    ("histc", lambda T, x: T.histc(x.detach(), bins=4)),
    ("histc_range", lambda T, x: T.histc(x.detach(), bins=3, min=-1, max=1)),
    ("unique_consecutive", lambda T, x: T.unique_consecutive(T.tensor([1, 1, 2, 2, 3, 1, 1]))),
    ("unique_consecutive_counts", lambda T, x: T.unique_consecutive(T.tensor([1, 1, 2, 1]), return_counts=True)[1]),
    ("mode", lambda T, x: T.mode(T.tensor([[1, 2, 2, 3], [4, 4, 1, 1]]), 1).values),
    ("mode_indices", lambda T, x: T.mode(T.tensor([[1, 2, 2, 3], [4, 4, 1, 1]]), 1).indices),
    ("mode_grad", lambda T, x: T.mode((x * 2).round() / 2 + x - x.detach(), 0).values),
    ("squeeze_in_place", lambda T, x: T.zeros(2, 1, 3).squeeze_(1)),
    ("unsqueeze_in_place", lambda T, x: T.zeros(2, 3).unsqueeze_(0)),
    ("transpose_in_place", lambda T, x: T.arange(6).view(2, 3).transpose_(0, 1)),
    ("fft_abs", lambda T, x: T.fft.fft(x, dim=0).abs()),
    ("rfft_real", lambda T, x: T.fft.rfft(x).real),
    ("irfft", lambda T, x: T.fft.irfft(T.fft.rfft(x) * 2, n=4)),
    ("fft2_ortho_imag", lambda T, x: T.fft.fft2(x, norm="ortho").imag),
    ("rfftn", lambda T, x: T.fft.rfftn(x, dim=(0, 1)).abs()),
    ("fftshift", lambda T, x: T.fft.fftshift(x, dim=1)),
    ("fftfreq", lambda T, x: T.fft.fftfreq(5, 0.1)),
    ("special_expit", lambda T, x: T.special.expit(x)),
    ("special_i0", lambda T, x: T.special.i0(x)),
    ("special_i1e", lambda T, x: T.special.i1e(x)),
    ("special_logsumexp", lambda T, x: T.special.logsumexp(x, 1)),
    ("special_polygamma", lambda T, x: T.special.polygamma(1, x * x + 1)),
    ("special_xlog1py", lambda T, x: T.special.xlog1py(x, x * x)),
    ("special_ndtr", lambda T, x: T.special.ndtr(x)),
    ("special_log_ndtr", lambda T, x: T.special.log_ndtr(x)),
    ("special_entr", lambda T, x: T.special.entr(x.abs() + 0.1)),
    ("special_sinc", lambda T, x: T.special.sinc(x)),
    ("masked_scatter", lambda T, x: x.masked_scatter(x > 0, x.flatten() * 2)),
    ("apply_map", lambda T, x: (x.detach() * 1).apply_(lambda v: v * v).map_(x.detach(), lambda a, b: a - b)),
    ("linalg_norm", lambda T, x: T.linalg.norm(x)),
    ("linalg_norm_ord", lambda T, x: T.linalg.norm(x, ord="nuc")),
    ("linalg_vector_norm_dim", lambda T, x: T.linalg.vector_norm(x, ord=3, dim=1)),
    ("linalg_vector_norm_dims", lambda T, x: T.linalg.vector_norm(x, dim=(0, 1), keepdim=True)),
    ("linalg_matrix_norm", lambda T, x: T.linalg.matrix_norm(x, ord=1)),
    ("linalg_inv", lambda T, x: T.linalg.inv(x @ x.t() + T.eye(3))),
    ("linalg_det", lambda T, x: T.linalg.det(x[:, :3])),
    ("linalg_slogdet", lambda T, x: T.linalg.slogdet(x @ x.t() + T.eye(3)).logabsdet),
    ("linalg_solve", lambda T, x: T.linalg.solve(x @ x.t() + T.eye(3), x)),
    ("linalg_solve_right", lambda T, x: T.linalg.solve(x[:, :3] + 3 * T.eye(3), x[:2, :3], left=False)),
    ("linalg_eigvalsh", lambda T, x: T.linalg.eigvalsh(x @ x.t())),
    ("linalg_svdvals", lambda T, x: T.linalg.svdvals(x)),
    ("linalg_cholesky", lambda T, x: T.linalg.cholesky(x @ x.t() + T.eye(3))),
    ("linalg_cholesky_upper", lambda T, x: T.linalg.cholesky(x @ x.t() + T.eye(3), upper=True)),
    # in float64: in float32 the derivatives of these decompositions differ from PyTorch's by rounding (~1e-5)
    ("linalg_qr_r", lambda T, x: T.linalg.qr(x.t().double()).R),
    ("linalg_pinv", lambda T, x: T.linalg.pinv(x.double())),
    ("linalg_matrix_power", lambda T, x: T.linalg.matrix_power(x[:, :3], 3)),
    ("linalg_multi_dot", lambda T, x: T.linalg.multi_dot([x, x.t(), x])),
    ("linalg_matrix_rank", lambda T, x: T.linalg.matrix_rank(x)),
    ("linalg_matrix_exp", lambda T, x: T.linalg.matrix_exp(x[:, :3] * 0.3)),
    ("linalg_matrix_exp_large", lambda T, x: T.linalg.matrix_exp(x[:, 1:].double() * 2)),
    ("linalg_solve_triangular", lambda T, x: T.linalg.solve_triangular(T.triu(x[:, :3]) + 3 * T.eye(3), x,
                                                                         upper=True)),
    ("linalg_solve_triangular_right", lambda T, x: T.linalg.solve_triangular(
        T.tril(x[:, 1:]) + 3 * T.eye(3), x[:2, :3], upper=False, left=False, unitriangular=True)),
]

CREATION = [
    ("tensor_floats", lambda T: T.tensor([1.0, 2.5])),
    ("tensor_ints", lambda T: T.tensor([1, 2])),
    ("tensor_mixed", lambda T: T.tensor([[1, 2.0]])),
    ("tensor_bool", lambda T: T.tensor([True, False])),
    ("tensor_scalar", lambda T: T.tensor(3)),
    ("tensor_ndarray_f64", lambda T: T.tensor(np.array([1.0, 2.0]))),
    ("tensor_dtype", lambda T: T.tensor([1, 2], dtype=T.float64)),
    ("from_numpy_int32", lambda T: T.from_numpy(np.array([1, 2], dtype=np.int32))),
    ("as_tensor", lambda T: T.as_tensor([1.0, 2.0], dtype=T.float16)),
    ("zeros", lambda T: T.zeros(2, 3)),
    ("zeros_tuple", lambda T: T.zeros((2, 3), dtype=T.long)),
    ("ones", lambda T: T.ones([2])),
    ("empty_shape", lambda T: T.empty(2, 0).shape),
    ("full_float", lambda T: T.full((2,), 3.0)),
    ("full_int", lambda T: T.full((2,), 3)),
    ("full_bool", lambda T: T.full((2,), True)),
    ("arange_int", lambda T: T.arange(5)),
    ("arange_float", lambda T: T.arange(0, 1, 0.1)),
    ("arange_float_end", lambda T: T.arange(3.0)),
    ("linspace", lambda T: T.linspace(0, 1, 5)),
    ("eye", lambda T: T.eye(3)),
    ("eye_rect", lambda T: T.eye(2, 3)),
    ("zeros_like_int", lambda T: T.zeros_like(T.tensor([1, 2]))),
    ("ones_like_dtype", lambda T: T.ones_like(T.tensor([1, 2]), dtype=T.float32)),
    ("full_like", lambda T: T.full_like(T.tensor([1.0, 2.0]), 7)),
    ("randn_meta", lambda T: (T.randn(2, 3).shape, T.randn(2, 3).dtype, T.randn(()).shape)),
    ("rand_meta", lambda T: (T.rand(4).dtype, T.rand((2, 2)).shape)),
    ("randint_meta", lambda T: (T.randint(0, 10, (3,)).dtype, T.randint(5, (2, 2)).shape)),
    ("randperm_meta", lambda T: (T.randperm(5).dtype, sorted(T.randperm(5).tolist()))),
    ("like_meta", lambda T: (T.randn_like(T.zeros(2, dtype=T.float64)).dtype, T.rand_like(T.zeros(3)).shape)),
    ("size", lambda T: (T.zeros(2, 3).size(), T.zeros(2, 3).size(-1), T.zeros(2, 3).shape[1:])),
    ("size_numel", lambda T: T.zeros(2, 3).size().numel()),
    ("dim_numel", lambda T: (T.zeros(2, 3).dim(), T.zeros(2, 3).numel(), T.numel(T.zeros(4)))),
    ("item", lambda T: T.tensor([2.5]).item()),
    ("tolist", lambda T: T.tensor([[1, 2]]).tolist()),
    ("dtypes", lambda T: (T.float == T.float32, T.long == T.int64, T.double, T.float16, T.bool, T.int)),
    ("type_name", lambda T: (T.zeros(2).type(), T.zeros(2).long().type())),
    ("type_cast", lambda T: T.zeros(2).type(T.int64).dtype),
    ("is_tensor", lambda T: (T.is_tensor(T.zeros(1)), T.is_tensor([1]))),
    ("is_floating_point", lambda T: (T.zeros(1).is_floating_point(), T.tensor([1]).is_floating_point())),
    ("allclose", lambda T: T.allclose(T.tensor([1.0]), T.tensor([1.0 + 1e-9]))),
    ("equal", lambda T: (T.equal(T.tensor([1, 2]), T.tensor([1, 2])), T.equal(T.tensor([1]), T.tensor([2])))),
    ("device", lambda T: (str(T.zeros(1).device), T.device("cpu"), T.zeros(1).to("cpu").dtype)),
    ("cuda_available", lambda T: T.cuda.is_available()),
    ("repr_small", lambda T: repr(T.tensor(0.87103))),
    ("repr_ints", lambda T: repr(T.tensor([[1, -20], [300, 4]]))),
    ("repr_int_floats", lambda T: repr(T.tensor([1.0, 2.0, -3.0]))),
    ("repr_sci", lambda T: repr(T.tensor([1e-6, 1.0, 12345.0]))),
    ("repr_mixed", lambda T: repr(T.tensor([[0.1234567, -2.5], [100.0, 3.0]]))),
    ("repr_3d", lambda T: repr(T.arange(24.0).reshape(2, 3, 4) / 7)),
    ("repr_wrap", lambda T: repr(T.arange(40.0) / 3)),
    ("repr_summary", lambda T: repr(T.arange(3000.0).reshape(30, 100) / 7)),
    ("repr_summary_1d", lambda T: repr(T.arange(2000))),
    ("repr_float64", lambda T: repr(T.tensor([1.5, 2.0], dtype=T.float64))),
    ("repr_nan_inf", lambda T: repr(T.tensor([float("nan"), float("inf"), 1.5]))),
    ("repr_bool", lambda T: repr(T.tensor([True, False]))),
    ("repr_empty", lambda T: repr(T.zeros(0))),
    ("repr_empty_2d", lambda T: repr(T.zeros(2, 0))),
    ("repr_requires_grad", lambda T: repr(T.ones(2, requires_grad=True))),
    ("repr_mul_backward", lambda T: repr(T.ones(2, requires_grad=True) * 2)),
    ("repr_sum_backward", lambda T: repr((T.ones(2, requires_grad=True) * 2).sum())),
    ("repr_size", lambda T: repr(T.zeros(2, 3).shape)),
    ("repr_dtype", lambda T: (repr(T.float32), str(T.int64))),
    ("format", lambda T: f"{T.tensor(0.123456):.3f}"),
    ("repr_complex", lambda T: repr(T.tensor([1.5 + 2j, -0.25 - 1j]))),
    ("repr_complex_mixed", lambda T: (repr(T.tensor(1 + 1j)), repr(T.tensor([[1 + 0j, 2.5j]])))),
    ("linalg_eig", lambda T: T.linalg.eig(T.tensor([[2.0, 1.0], [0.0, 3.0]])).eigenvalues),
    ("linalg_eigvals", lambda T: T.linalg.eigvals(T.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=T.float64))),
]


def _np(v):
    if isinstance(v, torch.Tensor):
        return v.detach().numpy()
    if isinstance(v, bc.Tensor):
        return np.asarray(v.data)
    return v


def _check_same(want, got, name):
    if isinstance(want, torch.Tensor):
        assert isinstance(got, bt.Tensor), f"{name}: got {type(got).__name__}, expected a torch Tensor"
        assert repr(got.dtype) == repr(want.dtype) == str(want.dtype), name
        assert tuple(got.shape) == tuple(want.shape) and isinstance(got.shape, bt.Size), name
        w, g = _np(want), _np(got)
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(g, w, err_msg=name)
    elif isinstance(want, (tuple, list)):
        assert len(want) == len(got), name
        for w, g in zip(want, got):
            _check_same(w, g, name)
    elif isinstance(want, torch.dtype):
        assert repr(got) == repr(want), name
    elif isinstance(want, torch.device):
        assert str(got) == str(want) and got == bt.device(str(want)), name
    else:
        assert got == want and type(got) is type(want), f"{name}: {got!r} != {want!r}"


@pytest.mark.parametrize("name, program", CASES, ids=[c[0] for c in CASES])
def test_values_dtypes_and_gradients_match_torch(name, program):
    tx = torch.tensor(X, requires_grad=True)
    bx = bt.tensor(X, requires_grad=True)
    want, got = program(torch, tx), program(bt, bx)
    _check_same(want, got, name)
    assert repr(got.detach()) == repr(want.detach()), name
    if want.requires_grad:
        assert got.requires_grad
        w = np.random.default_rng(0).standard_normal(tuple(want.shape)).astype(_np(want).dtype)
        (want * torch.tensor(w)).sum().backward()
        (got * bt.tensor(w)).sum().backward()
        assert isinstance(bx.grad, bt.Tensor) and bx.grad.dtype == bt.float32
        np.testing.assert_allclose(_np(bx.grad), tx.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    else:
        assert not got.requires_grad


@pytest.mark.parametrize("name, program", CREATION, ids=[c[0] for c in CREATION])
def test_creation_and_queries_match_torch(name, program):
    _check_same(program(torch), program(bt), name)


def test_default_dtype_follows_set_default_dtype():
    try:
        for T in (torch, bt):
            T.set_default_dtype(T.float64)
        for program in (lambda T: T.tensor([1.0]), lambda T: T.zeros(2), lambda T: T.arange(0.0, 1.0, 0.5),
                        lambda T: T.arange(3) * 0.5, lambda T: T.randn(2)):
            assert repr(program(bt).dtype) == repr(program(torch).dtype)
        assert bt.get_default_dtype() == bt.float64
    finally:
        for T in (torch, bt):
            T.set_default_dtype(T.float32)
    assert bt.tensor([1.0]).dtype == bt.float32


def test_max_with_dim_unpacks_values_and_indices_never_silently():
    out = bt.tensor([[0.1, 0.9], [0.8, 0.2]])
    _, pred = out.max(1)
    assert pred.tolist() == [1, 0] and pred.dtype == bt.int64
    values, indices = bt.max(out, dim=0)
    assert values.tolist() == pytest.approx([0.8, 0.9]) and indices.tolist() == [1, 0]
    # the NumPy meaning stays on backchain's own tensors
    assert bc.tensor([[0.1, 0.9], [0.8, 0.2]]).max(1).tolist() == pytest.approx([0.9, 0.8])


def test_data_is_a_detached_torch_tensor_sharing_the_array_as_in_torch():
    for T in (torch, bt):
        p = T.nn.Parameter(T.tensor([1.0, -2.0, 3.0]))
        d = p.data
        assert type(d) is T.Tensor and not d.requires_grad and d.grad_fn is None and d is not p
        loss = (p * p).sum()
        loss.backward()
        assert loss.data.item() == 14.0 and loss.data.dim() == 0
        p.data.add_(p.grad, alpha=-0.1)  # the manual SGD step of the tutorials
        assert p.tolist() == pytest.approx([0.8, -1.6, 2.4]) and p.requires_grad
        d.mul_(2)  # an alias taken earlier sees and makes the same writes
        assert p.tolist() == pytest.approx([1.6, -3.2, 4.8])
        p.data = T.zeros(2)  # assignment replaces the array, the Parameter stays a leaf
        assert p.shape == (2,) and p.requires_grad and p.is_leaf
        assert isinstance(p.data.numpy(), np.ndarray)
    # a Linear's weights initialised through .data, as pytorch/examples do
    bt.manual_seed(0)
    lin = bt.nn.Linear(4, 3)
    lin.weight.data.uniform_(-0.1, 0.1)
    lin.bias.data.fill_(0.5)
    assert float(lin.weight.abs().max()) <= 0.1 and lin.bias.tolist() == [0.5] * 3
    # backchain's own tensors keep NumPy's .data: the array itself
    t = bc.tensor([1.0, 2.0])
    assert type(t.data) is np.ndarray and t.data is t.data
    t.data = np.array([3.0])
    assert t.tolist() == [3.0]


def test_ties_in_max_dim_send_the_gradient_to_the_index_returned():
    t = torch.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    b = bt.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    t.max(1).values.sum().backward()
    b.max(1).values.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), t.grad.numpy())


def test_grad_is_a_torch_tensor_sharing_memory():
    w = bt.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert isinstance(g, bt.Tensor) and g.tolist() == [2.0, 4.0]
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    w.grad = None
    assert w.grad is None


def test_grad_fn_can_be_walked_to_the_leaves():
    a = bt.tensor([1.0, 2.0], requires_grad=True)
    y = (a * 2 + 1).sum()
    seen, stack = [], [y.grad_fn]
    while stack:
        node = stack.pop()
        seen.append(node.name())
        stack.extend(n for n, _ in node.next_functions if n is not None)
    assert seen == ["SumBackward0", "AddBackward0", "MulBackward0", "torch::autograd::AccumulateGrad"]
    assert seen[:3] == [y.grad_fn.name(), y.grad_fn.next_functions[0][0].name(),
                        y.grad_fn.next_functions[0][0].next_functions[0][0].name()]
    ty = (torch.tensor([1.0, 2.0], requires_grad=True) * 2 + 1).sum()
    assert ty.grad_fn.name() == seen[0] and ty.grad_fn.next_functions[0][0].name() == seen[1]
    assert a.grad_fn is None and a.is_leaf and not y.is_leaf


def test_in_place_methods_match_torch():
    for T in (torch, bt):
        x = T.tensor([1.0, -2.0, 3.0])
        x.add_(T.tensor([1.0, 1.0, 1.0]), alpha=2).mul_(2).sub_(1).clamp_(-1.0, 5.0)
        y = T.zeros(3).fill_(4.0)
        y.masked_fill_(T.tensor([True, False, False]), 0.5)
        z = T.zeros(2, 2)
        z[0, 1] = 3.0
        z[T.tensor([False, True])] = 7.0
        if T is torch:
            want = (x.numpy().copy(), y.numpy().copy(), z.numpy().copy())
        else:
            got = (x.numpy(), y.numpy(), z.numpy())
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


def test_random_in_place_fills_follow_manual_seed():
    bt.manual_seed(3)
    a = bt.zeros(1000).uniform_(-2.0, 2.0)
    b = bt.zeros(1000).normal_(1.0, 0.5)
    bt.manual_seed(3)
    assert bt.zeros(1000).uniform_(-2.0, 2.0).tolist() == a.tolist()
    assert -2.0 <= float(a.min()) and float(a.max()) < 2.0 and a.dtype == bt.float32
    assert abs(float(b.mean()) - 1.0) < 0.1 and abs(float(b.std()) - 0.5) < 0.05


def test_numpy_of_a_tensor_that_requires_grad_raises_as_in_torch():
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        bt.ones(2, requires_grad=True).numpy()
    assert bt.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_accelerators_raise_one_clear_error():
    for call in (lambda: bt.zeros(2).cuda(), lambda: bt.zeros(2).to("cuda"), lambda: bt.device("mps"),
                 lambda: bt.zeros(2, device="cuda:0"), lambda: bt.nn.Linear(2, 2).to("cuda")):
        with pytest.raises(RuntimeError, match="backchain runs on the CPU"):
            call()
    assert not bt.cuda.is_available() and not bt.backends.mps.is_available()


def test_matmul_of_different_float_dtypes_raises_as_in_torch():
    with pytest.raises(RuntimeError) as want:
        torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        bt.ones(2, 3) @ bt.ones(3, 2, dtype=bt.float64)
    assert "expected m1 and m2 to have the same dtype, but got: float != double" in str(want.value)


def test_float32_power_of_an_int_stays_float32():
    x = bt.tensor([1.5, 2.0])
    for y in (x ** 2, x ** bt.tensor(3), bt.pow(x, 2), 2 ** x, x * bt.tensor([2, 3])):
        assert y.dtype == bt.float32


def test_plain_backchain_tensors_keep_numpy_meanings():
    t = bc.tensor(X)
    assert t.size == 12 and t.transpose().shape == (4, 3) and type(bnp.exp(t)) is bc.Tensor
    assert t.repeat(2).shape == (24,)  # NumPy's repeat: elements, not tiles
    assert np.allclose(t.std().data, X.std())  # NumPy's biased std
    assert isinstance(bnp.exp(bt.tensor(X)), bt.Tensor)


def test_dtype_objects_work_where_numpy_dtypes_do():
    assert np.zeros(2, dtype=bt.float32).dtype == np.float32
    assert bt.float64 == np.float64 and bt.tensor([1.0]).dtype.kind == "f"
    assert bt.tensor([1.0]).dtype.itemsize == 4 and bt.float32.is_floating_point
    assert {bt.float32: 1}[bt.float] == 1


def test_gradcheck_passes_and_fails_as_torch():
    x = bt.tensor([0.3, -1.2], dtype=bt.float64, requires_grad=True)
    assert bt.autograd.gradcheck(lambda x: bt.sin(x) * x, (x,))
    assert bt.autograd.gradgradcheck(lambda x: bt.exp(x).sum(), (x,))

    class Wrong(bt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert not bt.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(Exception):
        bt.autograd.gradcheck(Wrong.apply, (x,))


NODE_NAMES = [
    lambda T, x, y, t: T.nn.functional.mse_loss(x, y),
    lambda T, x, y, t: T.nn.functional.mse_loss(x, y, reduction="none"),
    lambda T, x, y, t: T.nn.MSELoss()(x, y),
    lambda T, x, y, t: T.nn.functional.l1_loss(x, y),
    lambda T, x, y, t: T.nn.L1Loss()(x, y),
    lambda T, x, y, t: T.nn.functional.nll_loss(x, t),
    lambda T, x, y, t: T.nn.NLLLoss()(x, t),
    lambda T, x, y, t: T.nn.functional.cross_entropy(x, t),
    lambda T, x, y, t: T.nn.CrossEntropyLoss()(x, t),
    lambda T, x, y, t: T.nn.functional.binary_cross_entropy(x, y),
    lambda T, x, y, t: T.nn.BCELoss()(x, y),
    lambda T, x, y, t: T.nn.functional.binary_cross_entropy_with_logits(x, y),
    lambda T, x, y, t: T.nn.BCEWithLogitsLoss()(x, y),
    lambda T, x, y, t: T.nn.functional.smooth_l1_loss(x, y),
    lambda T, x, y, t: T.nn.HuberLoss()(x, y),
    lambda T, x, y, t: x.mean(),
    lambda T, x, y, t: T.mean(x, 1),
    lambda T, x, y, t: x.sum(),
    lambda T, x, y, t: T.nn.functional.log_softmax(x, 1),
    lambda T, x, y, t: T.softmax(x, 1),
    lambda T, x, y, t: T.relu(x),
    lambda T, x, y, t: T.sigmoid(x),
    lambda T, x, y, t: x @ x.t(),
    lambda T, x, y, t: x.view(-1),
    lambda T, x, y, t: x[0],
    lambda T, x, y, t: x.exp(),
    lambda T, x, y, t: x ** 2,
    lambda T, x, y, t: x * y,
    lambda T, x, y, t: x + y,
    lambda T, x, y, t: x - y,
    lambda T, x, y, t: x / 2,
]


@pytest.mark.parametrize("k", range(len(NODE_NAMES)))
def test_grad_fn_names_match_torch(k):
    program = NODE_NAMES[k]
    p = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    names = []
    for T in (torch, bt):
        x = T.tensor(p * 0.8 + 0.1, requires_grad=True)
        y = T.tensor(p[::-1].copy())
        out = program(T, x, y, T.tensor([0, 1, 3]))
        names.append(out.grad_fn.name())
        if out.ndim == 0:
            names.append(repr(out))
    assert names[len(names) // 2:] == names[:len(names) // 2]


def test_numpy_copy_on_a_torch_tensor_keeps_its_dtype():
    a = bt.tensor([1, 2])
    assert a.copy().dtype == bt.int64 and a.copy().tolist() == [1, 2] and a.copy() is not a


def test_retain_grad_and_backward_inputs_match_torch():
    results = []
    for T in (torch, bt):
        x = T.tensor([1.0, -2.0, 0.5], requires_grad=True)
        h = T.tanh(x * 3)
        h.retain_grad()
        z = h * x
        z.retain_grad()
        y = (z ** 2).sum()
        y.backward(retain_graph=True)
        y.backward()  # accumulates twice, as PyTorch
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0], requires_grad=True)
        (a * b).sum().backward(inputs=[b])
        results.append([v.numpy().copy() for v in (x.grad, h.grad, z.grad, b.grad)] + [a.grad, h.retains_grad])
    want, got = results
    for w, g in zip(want[:4], got[:4]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert got[4] is None and want[4] is None and got[5] and want[5]


def test_item_assignment_of_traced_values_is_differentiated_as_torch():
    results = []
    for T in (torch, bt):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = T.zeros(2, 3)
        out[0] = x * 2
        out[1, 1:] = x[:2] ** 2
        y = x * 1
        y[T.tensor([True, False, True])] = 0.5
        y[1] = y[1] * 3
        (out.sum() + (y * y).sum()).backward()
        results.append((out.detach().numpy().copy(), y.detach().numpy().copy(), x.grad.numpy().copy()))
        with pytest.raises(RuntimeError, match="leaf"):
            x[0] = 1.0
    for w, g in zip(*results):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_numpy_axis_is_accepted_for_dim_as_in_torch():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    for program in (lambda T, t: t.sum(axis=1), lambda T, t: T.mean(t, axis=0), lambda T, t: t.max(axis=1).indices,
                    lambda T, t: t.std(axis=0), lambda T, t: T.softmax(t, axis=1), lambda T, t: t.argmax(axis=0)):
        want, got = program(torch, torch.tensor(x)), program(bt, bt.tensor(x))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_the_graph_retention_warning_also_watches_torch_tensors(monkeypatch):
    from backchain._core import inplace
    monkeypatch.setattr(inplace, "_trap_warned", [False])  # it warns once per process
    w = bt.tensor([1.0], requires_grad=True)
    total = bt.tensor([0.0])
    with pytest.warns(ResourceWarning, match="accumulated in place"):
        for _ in range(200):
            total += (w * 2).sum()


def test_testing_assert_close_agrees_with_torch():
    cases = [(np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0 + 1e-6], np.float32), {}),
             (np.array([1.0], np.float32), np.array([1.0001], np.float32), {}),
             (np.array([1.0]), np.array([1.0 + 1e-8]), {}),
             (np.array([1.0], np.float32), np.array([1.05], np.float32), dict(rtol=0.1, atol=0.0)),
             (np.array([np.nan]), np.array([np.nan]), dict(equal_nan=True)),
             (np.array([1.0], np.float32), np.array([1.0]), {})]
    for a, b, kw in cases:
        results = []
        for T in (torch, bt):
            try:
                T.testing.assert_close(T.tensor(a), T.tensor(b), **kw)
                results.append(True)
            except AssertionError:
                results.append(False)
        assert results[0] == results[1], (a, b, kw)


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")  # PyTorch's own warning for its storage()
def test_storage_queries_and_resize_match_torch():
    for T in (torch, bt):
        x = T.arange(12.0).view(3, 4)
        v = x[1:, 1:]
        got = (v.storage_offset(), v.untyped_storage().nbytes(), len(x.untyped_storage()), v.nbytes, v.itemsize,
               x.is_shared(), x.storage().size(), v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
               T.arange(3.0).untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
        assert got == (5, 48, 48, 24, 4, False, 12, True, False), (T.__name__, got)
        y = T.arange(6.0)
        assert y.resize_(2, 2).tolist() == [[0.0, 1.0], [2.0, 3.0]]
        assert y.resize_as_(T.zeros(3)).tolist() == [0.0, 1.0, 2.0]
        assert y.resize_(4)[:3].tolist() == [0.0, 1.0, 2.0] and tuple(y.shape) == (4,)
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            T.ones(2, requires_grad=True).resize_(3)


def test_bfloat16_exists_for_dtype_tables_and_refuses_to_hold_data():
    table = {"float32": bt.float32, "bfloat16": bt.bfloat16, "float16": bt.float16}  # nanoGPT's train.py
    assert repr(table["bfloat16"]) == repr(torch.bfloat16) == "torch.bfloat16"
    assert bt.bfloat16.is_floating_point and bt.bfloat16.itemsize == 2 and bt.bfloat16 != bt.float16
    assert not bt.cuda.is_bf16_supported()
    for make in (lambda: bt.zeros(2, dtype=bt.bfloat16), lambda: bt.ones(2).to(bt.bfloat16),
                 lambda: bt.nn.Linear(2, 2).to(bt.bfloat16), lambda: np.zeros(2, dtype=bt.bfloat16)):
        with pytest.raises(TypeError, match="torch.bfloat16: backchain computes with NumPy, which has no bfloat16"):
            make()


def test_assigning_data_after_recording_refuses_the_stale_graph():
    for ns in (bt, bc):
        w = ns.tensor([1.0, 1.0, 1.0], requires_grad=True)
        x = ns.tensor([0.0, 1.0, 2.0])
        y = (w * x).sum()
        x.data = ns.tensor([5.0, 5.0, 5.0])  # the multiply's rule for w would read the new array
        with pytest.raises(bc.InplaceError, match="assignment to .data"):
            y.backward()
        y = (w * x).sum()  # a graph recorded after the assignment differentiates at the new value
        y.backward()
        assert np.asarray(w.grad).tolist() == [5.0, 5.0, 5.0]
