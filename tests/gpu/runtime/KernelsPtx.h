// Hand-written PTX for the runtime's GPU tests: small enough to read, and
// independent of the compiler, so that a runtime failure is not a codegen
// one. Checked with ptxas for sm_80 and sm_90a.
#pragma once

namespace tessel::runtime::test {

inline constexpr const char *kTestKernelsPtx = R"(
.version 8.0
.target sm_80
.address_size 64

// out[i] = i for i < n, where i = blockIdx.x * blockDim.x + threadIdx.x.
.visible .entry write_index(
    .param .u64 out,
    .param .u32 n
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<6>;
    .reg .b64 %rd<5>;

    ld.param.u64 %rd1, [out];
    ld.param.u32 %r1, [n];
    mov.u32 %r2, %ctaid.x;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %tid.x;
    mad.lo.u32 %r5, %r2, %r3, %r4;
    setp.ge.u32 %p1, %r5, %r1;
    @%p1 bra DONE;
    cvta.to.global.u64 %rd2, %rd1;
    mul.wide.u32 %rd3, %r5, 4;
    add.s64 %rd4, %rd2, %rd3;
    st.global.u32 [%rd4], %r5;
DONE:
    ret;
}

// out[i] = f32(i + offset) * scale for i < n: parameters of three sizes, in
// an order that needs padding between them.
.visible .entry affine(
    .param .u32 n,
    .param .u64 out,
    .param .f32 scale,
    .param .s64 offset
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<6>;
    .reg .f32 %f<4>;
    .reg .b64 %rd<8>;

    ld.param.u32 %r1, [n];
    ld.param.u64 %rd1, [out];
    ld.param.f32 %f1, [scale];
    ld.param.s64 %rd2, [offset];
    mov.u32 %r2, %ctaid.x;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %tid.x;
    mad.lo.u32 %r5, %r2, %r3, %r4;
    setp.ge.u32 %p1, %r5, %r1;
    @%p1 bra DONE;
    cvt.u64.u32 %rd3, %r5;
    add.s64 %rd4, %rd3, %rd2;
    cvt.rn.f32.s64 %f2, %rd4;
    mul.rn.f32 %f3, %f2, %f1;
    cvta.to.global.u64 %rd5, %rd1;
    shl.b64 %rd6, %rd3, 2;
    add.s64 %rd7, %rd5, %rd6;
    st.global.f32 [%rd7], %f3;
DONE:
    ret;
}

// Does nothing: the kernel of the launch-overhead measurement.
.visible .entry empty()
{
    ret;
}
)";

/// Uses a register it never declares: ptxas rejects it with "Unknown symbol".
inline constexpr const char *kBrokenPtx = R"(
.version 8.0
.target sm_80
.address_size 64

.visible .entry broken(.param .u64 out)
{
    .reg .b32 %r<2>;
    mov.u32 %r1, %undeclared_register;
    ret;
}
)";

} // namespace tessel::runtime::test
