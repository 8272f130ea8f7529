#!/usr/bin/env python3
"""Writes src/AutoGrad/Autodiff/Transforms.Trees.g.cs: the transforms' overloads for functions of 1 to 4 arguments of
any tree type. Each overload is a few lines over TreeArgs / TreeJacobian / TreeJit; only their number calls for a
generator. Run from the repository root after editing, and commit both files:

    python3 tools/generate_transform_overloads.py
"""
import pathlib

MAX_ARITY = 4
OUT = pathlib.Path("src/AutoGrad/Autodiff/Transforms.Trees.g.cs")
CALLER = '[CallerFilePath] string file = "", [CallerLineNumber] int line = 0'


def tparams(n):
    return [f"T{i}" for i in range(1, n + 1)]


def xs(n):
    return [f"x{i}" for i in range(1, n + 1)]


def casts(types):
    return ", ".join(f"({t})a[{i}]!" for i, t in enumerate(types))


def tuple_type(types):
    return types[0] if len(types) == 1 else "(" + ", ".join(types) + ")"


ORDINAL = ["first", "second", "third", "fourth"]

REVERSE = {
    # name: (loss type of f, result given G, how the core's (Value, Grad, Aux) becomes the result, summary)
    "Grad": ("Tensor", "{G}", "r.Grad", "the gradient of a scalar function"),
    "ValueAndGrad": ("Tensor", "(Tensor Value, {G} Grad)", "(r.Value, r.Grad)", "the value and gradient of a scalar function"),
    "GradWithAux": ("(Tensor Loss, TAux Aux)", "({G} Grad, TAux Aux)", "(r.Grad, r.Aux)",
                    "the gradient of a function returning (loss, aux), with the aux passed through as plain values"),
    "ValueAndGradWithAux": ("(Tensor Loss, TAux Aux)", "(Tensor Value, {G} Grad, TAux Aux)", "(r.Value, r.Grad, r.Aux)",
                            "the value, gradient and aux of a function returning (loss, aux)"),
}


def reverse_overloads():
    out = []
    for name, (loss, result, pick, summary) in REVERSE.items():
        aux = "Aux" in name
        aux_t = ["TAux"] if aux else []
        jax = {"Grad": "grad", "ValueAndGrad": "value_and_grad", "GradWithAux": "grad(…, has_aux=True)",
               "ValueAndGradWithAux": "value_and_grad(…, has_aux=True)"}[name]
        for n in range(1, MAX_ARITY + 1):
            T, X = tparams(n), xs(n)
            lam = f"({', '.join(X)})"
            args = f"new object?[] {{ {', '.join(X)} }}"
            fcall = f"a => f({casts(T)})" if aux else f"a => (f({casts(T)}), (object?)null)"
            aux_ty = "TAux" if aux else "object?"
            # 1. With respect to the first argument.
            G = "T1"
            res = result.format(G=G)
            rest = "" if n == 1 else " The other arguments are passed through as data."
            out.append(f"""
    /// <summary>
    /// JAX <c>{jax}</c>: {summary} of {n} argument{'s' if n > 1 else ''}, with respect to the first, returned in its type
    /// and structure (a tensor, a <see cref="TensorTree"/>, a tuple, an array or your own <see cref="ITree{{TSelf}}"/>).{rest}
    /// </summary>
    public static Func<{', '.join(T)}, {res}> {name}<{', '.join(T + aux_t)}>(Func<{', '.join(T)}, {loss}> f, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return {lam} =>
        {{
            var r = TreeArgs.ValueAndGrad<T1, {aux_ty}>("{name}", site, {args}, [0], a => (T1)a[0]!, {fcall});
            return {pick};
        }};
    }}""")
            # 2. With respect to what wrt selects.
            res = result.format(G="TWrt")
            out.append(f"""
    /// <summary>
    /// {summary[0].upper() + summary[1:]} of {n} argument{'s' if n > 1 else ''}, with respect to what <paramref name="wrt"/> returns: some of
    /// the arguments or parts of them (<c>(p, x) => p.Subtree("head")</c>, <c>(w, b, s) => (w, b)</c>). The gradient comes back
    /// in the selection's type and structure; everything not selected is data.
    /// </summary>
    public static Func<{', '.join(T)}, {res}> {name}<{', '.join(T + ['TWrt'] + aux_t)}>(Func<{', '.join(T)}, {loss}> f, Func<{', '.join(T)}, TWrt> wrt, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(wrt);
        var site = new CallSite(file, line);
        return {lam} =>
        {{
            var r = TreeArgs.ValueAndGradWrt<TWrt, {aux_ty}>("{name}", site, {args}, a => wrt({casts(T)}), {fcall});
            return {pick};
        }};
    }}""")
            # 3. argnums, for functions whose arguments share one type (JAX's argnums=k or argnums=(i, j, ...)); and the
            #    same for functions of tensors only, without type parameters, so that implicitly typed lambdas
            #    ((a, b) => ...) and method groups (Grad(Loss)) infer.
            if n == 1:
                continue
            for elem in ["T", "Tensor"]:
                S = [elem] * n
                generic = [elem] if elem == "T" else []
                sfcall = f"a => f({casts(S)})" if aux else f"a => (f({casts(S)}), (object?)null)"
                for m in range(0 if elem == "Tensor" else 1, n + 1):
                    if m == 0:
                        argnums_p, nums, template, G = "", "[0]", "a => (Tensor)a[0]!", "Tensor"
                    elif m == 1:
                        argnums_p, nums, template, G = "int argnums, ", "[argnums]", f"a => ({elem})a[argnums]!", elem
                    else:
                        items = [f"argnums.Item{i}" for i in range(1, m + 1)]
                        argnums_p = "(" + ", ".join(["int"] * m) + ") argnums, "
                        nums = "[" + ", ".join(items) + "]"
                        template = "a => (" + ", ".join(f"({elem})a[{it}]!" for it in items) + ")"
                        G = "(" + ", ".join([elem] * m) + ")"
                    res = result.format(G=G)
                    tps = generic + aux_t
                    tp = f"<{', '.join(tps)}>" if tps else ""
                    if m == 0:
                        doc = f"""JAX <c>{jax}</c> for a function of {n} tensors: {summary} with respect to the first; the others are data."""
                    else:
                        which = 'k' if m == 1 else '(i, j' + (', …' if m > 2 else '') + ')'
                        kind = "tensors" if elem == "Tensor" else "arguments of one type"
                        doc = (f"""JAX <c>{jax.replace('…', '…, argnums=' + which)}</c> for a function of {n} {kind}: {summary}
    /// with respect to the argument{'s' if m > 1 else ''} <paramref name="argnums"/> names ({'one index' if m == 1 else f'{m} indices, the gradients in that order'}); the others are data.""")
                        if elem == "T":
                            doc += "\n    /// For arguments of different types, select with <c>wrt</c>."
                    out.append(f"""
    /// <summary>
    /// {doc}
    /// </summary>
    public static Func<{', '.join(S)}, {res}> {name}{tp}(Func<{', '.join(S)}, {loss}> f, {argnums_p}{CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return {lam} =>
        {{
            var r = TreeArgs.ValueAndGrad<{G}, {aux_ty}>("{name}", site, {args}, {nums}, {template}, {sfcall});
            return {pick};
        }};
    }}""")
    return out


def forward_overloads():
    out = []
    for n in range(1, MAX_ARITY + 1):
        T, X = tparams(n), xs(n)
        PB = tuple_type(T)
        inputs = X[0] if n == 1 else "(" + ", ".join(X) + ")"
        params = ", ".join(f"{t} {x}" for t, x in zip(T, X))
        out.append(f"""
    /// <summary>
    /// JAX <c>vjp</c>: the value of <paramref name="f"/> at the arguments and its pullback, which maps a cotangent of the
    /// output's structure (a tensor, a tuple or tree of tensors) to the cotangents of {'the argument' if n == 1 else 'all ' + str(n) + ' arguments, as a tuple'}, in one backward pass.
    /// </summary>
    public static (TOut Value, Func<TOut, {PB}> Pullback) Vjp<{', '.join(T)}, TOut>(Func<{', '.join(T)}, TOut> f, {params}, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        return TreeArgs.Vjp<{PB}, TOut>(new CallSite(file, line), new object?[] {{ {', '.join(X)} }}, {inputs}, a => f({casts(T)}));
    }}""")
        if n == 1:
            out.append(f"""
    /// <summary>
    /// JAX <c>jvp</c>: the value of <paramref name="f"/> at <paramref name="primal"/> and the directional derivative along
    /// <paramref name="tangent"/> (same structure), both in the output's structure, from one forward pass.
    /// </summary>
    public static (TOut Value, TOut Tangent) Jvp<T1, TOut>(Func<T1, TOut> f, T1 primal, T1 tangent, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        return TreeArgs.Jvp(new CallSite(file, line), new object?[] {{ primal }}, new object?[] {{ tangent }}, a => f((T1)a[0]!));
    }}""")
        else:
            items = lambda v: ", ".join(f"{v}.Item{i}" for i in range(1, n + 1))
            out.append(f"""
    /// <summary>
    /// JAX <c>jvp(f, primals, tangents)</c> for a function of {n} arguments: the value and the directional derivative along
    /// all arguments at once (one tangent per argument, of its structure), in the output's structure, from one forward pass.
    /// </summary>
    public static (TOut Value, TOut Tangent) Jvp<{', '.join(T)}, TOut>(Func<{', '.join(T)}, TOut> f, {PB} primals, {PB} tangents, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        return TreeArgs.Jvp(new CallSite(file, line), new object?[] {{ {items('primals')} }}, new object?[] {{ {items('tangents')} }}, a => f({casts(T)}));
    }}""")
        out.append(f"""
    /// <summary>
    /// JAX <c>jit</c> for a function of {n} argument{'s' if n > 1 else ''} of any tree type returning any tree: as
    /// <see cref="Jit(Func{{TensorTree, TensorTree}}, string, int)"/>, with the arguments' types and structures part of the signature.
    /// Arguments must be trees of tensors: pass numbers as tensors.
    /// </summary>
    public static Func<{', '.join(T)}, TOut> Jit<{', '.join(T)}, TOut>(Func<{', '.join(T)}, TOut> f, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        var jit = new TreeJit<TOut>(a => f({casts(T)}), new CallSite(file, line));
        return ({', '.join(X)}) => jit.Invoke(new object?[] {{ {', '.join(X)} }});
    }}""")
        if n >= 2:
            rest_t = T[1:]
            out.append(f"""
    /// <summary>
    /// The Jacobian of a tensor-valued function of {n} arguments with respect to the first, in its type and structure: each
    /// leaf of shape f(x).shape + leaf.shape. The other arguments are data.
    /// </summary>
    public static Func<{', '.join(T)}, T1> Jacobian<{', '.join(T)}>(Func<{', '.join(T)}, Tensor> f, JacobianMode mode = JacobianMode.Auto, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        var site = new CallSite(file, line);
        return ({', '.join(X)}) =>
        {{
            var (_, _, _, blocks) = TreeJacobian.Compute("Jacobian", site, v => f((T1)v!, {', '.join(X[1:])}), x1, mode);
            return Tree.Rebuild(x1, blocks[0]);
        }};
    }}

    /// <summary>The Hessian of a scalar function of {n} arguments with respect to the first, a tensor: shape x.shape + x.shape. The other arguments are data.</summary>
    public static Func<Tensor, {', '.join(rest_t)}, Tensor> Hessian<{', '.join(rest_t)}>(Func<Tensor, {', '.join(rest_t)}, Tensor> f, {CALLER})
    {{
        ArgumentNullException.ThrowIfNull(f);
        return ({', '.join(X)}) => Hessian((Tensor v) => f(v, {', '.join(X[1:])}), file, line)(x1);
    }}""")
    return out


def main():
    body = reverse_overloads() + forward_overloads()
    text = f"""// <auto-generated>
// Written by tools/generate_transform_overloads.py; edit that script and run it again rather than this file.
// </auto-generated>
#nullable enable
using System.Runtime.CompilerServices;
using AutoGrad.Autodiff;

namespace AutoGrad;

/// <summary>The transforms over functions of 1 to {MAX_ARITY} arguments of any tree type (JAX's pytrees).</summary>
public static partial class Transforms
{{{''.join(body)}
}}
"""
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(body)} overloads)")


if __name__ == "__main__":
    main()
