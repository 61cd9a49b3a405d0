export { Module, tap, type ForwardContext } from './module.js';
export * from './losses.js';
export * from './init.js';
export { Linear, ReLU, Flatten, Identity, Sequential, childContext, type LayerOptions } from './layers.js';
export { Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, type Conv2dLayerOptions } from './conv.js';
export { BatchNorm2d } from './norm.js';
export { Dropout } from './dropout.js';
export { BasicBlock, ResNetSmall, type ResNetOptions } from './resnet.js';
export * from './models.js';
