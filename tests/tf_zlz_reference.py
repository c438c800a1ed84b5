"""Builds the authors' generator in TensorFlow (tf.compat.v1, their names, layouts and 'SAME' padding) with
random weights, saves a TF1 checkpoint and TensorFlow's outputs on given inputs. Run as a child process
by tests/test_zlz.py, so TensorFlow never loads into the test session.

Usage: python tf_zlz_reference.py OUT_DIR INPUTS.npz [--blocks N] [--width W] [--up U] [--scope S]
Writes OUT_DIR/model.ckpt.* (+ checkpoint) and OUT_DIR/outputs.npz (one NHWC output per input).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("inputs")
    ap.add_argument("--blocks", type=int, default=16)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--up", type=int, default=256)
    ap.add_argument("--scope", default="generator_unit")
    args = ap.parse_args()

    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    rng = np.random.default_rng(0)

    def var(name, shape, scale):
        init = tf1.constant_initializer(rng.normal(0.0, scale, shape).astype(np.float32))
        return tf1.get_variable(name, shape, tf.float32, initializer=init)

    def conv(x, k, cout, name, bias):
        cin = int(x.shape[-1])
        with tf1.variable_scope(name), tf1.variable_scope("Conv"):
            w = var("weights", [k, k, cin, cout], (2.0 / (k * k * cin)) ** 0.5)
            y = tf.nn.conv2d(x, w, 1, "SAME")
            return y + var("biases", [cout], 0.05) if bias else y

    def deconv(x, cout, name):
        cin = int(x.shape[-1])
        with tf1.variable_scope(name), tf1.variable_scope("Conv2d_transpose"):
            w = var("weights", [3, 3, cout, cin], (2.0 / (9 * cin)) ** 0.5)
            b = var("biases", [cout], 0.05)
            s = tf.shape(x)
            y = tf.nn.conv2d_transpose(x, w, tf.stack([s[0], 2 * s[1], 2 * s[2], cout]), 2, "SAME")
            return y + b

    def bn(x, name):
        c = int(x.shape[-1])
        with tf1.variable_scope(name):
            beta = var("beta", [c], 0.1)
            var("moving_mean", [c], 0.0)  # as slim creates them; never used (is_training hard-wired True)
            var("moving_variance", [c], 0.0)
            mean, variance = tf.nn.moments(x, [0, 1, 2], keepdims=True)
            return tf.nn.batch_normalization(x, mean, variance, beta, None, 1e-3)

    def prelu(x):
        with tf1.variable_scope("Prelu"):
            alpha = var("alpha", [int(x.shape[-1])], 0.2)
            return tf.nn.relu(x) + alpha * (x - tf.abs(x)) * 0.5

    x = tf1.placeholder(tf.float32, [1, None, None, 4])
    with tf1.variable_scope("generator"), tf1.variable_scope(args.scope):
        with tf1.variable_scope("input_stage"):
            net = prelu(conv(x, 9, args.width, "conv", True))
        stage1 = net
        for k in range(1, args.blocks + 1):
            with tf1.variable_scope(f"resblock_{k}"):
                inp = net
                net = prelu(bn(conv(net, 4, args.width, "conv_1", False), "BatchNorm"))
                net = bn(conv(net, 3, args.width, "conv_2", False), "BatchNorm_1") + inp
        with tf1.variable_scope("resblock_output"):
            net = bn(conv(net, 3, args.width, "conv", False), "BatchNorm")
        net = net + stage1
        for s in range(1, 4):
            with tf1.variable_scope(f"deconv_stage{s}"):
                net = prelu(deconv(conv(net, 3, args.up, "conv", True), args.up, "deconv"))
        with tf1.variable_scope("deconv_output_stage"):
            y = conv(net, 9, 3, "conv", True)
    inputs = np.load(args.inputs)
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        tf1.train.Saver().save(sess, os.path.join(args.out, "model.ckpt"))
        outs = {k: sess.run(y, {x: v}) for k, v in inputs.items()}
    np.savez(os.path.join(args.out, "outputs.npz"), **outs)


if __name__ == "__main__":
    main()
