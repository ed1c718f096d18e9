"""TwoLayerNet.train draws its batches with np.random.choice, not the seeded rng: not reproducible.

module: neural_net
caught_by: two_layer_net_train_contract
hint: rng = np.random.default_rng(seed)
"""


def _train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95, num_iters=100,
           batch_size=200, verbose=False, seed=None):
    num_train = X.shape[0]
    iterations_per_epoch = max(num_train // batch_size, 1)
    loss_history, train_acc_history, val_acc_history = [], [], []
    for it in range(num_iters):
        batch = np.random.choice(num_train, batch_size, replace=True)
        loss, grads = self.loss(X[batch], y=y[batch])
        loss_history.append(loss)
        for name in self.params:
            self.params[name] = self.params[name] - learning_rate * grads[name]
        if it % iterations_per_epoch == 0:
            train_acc_history.append(float(np.mean(self.predict(X[batch]) == y[batch])))
            val_acc_history.append(float(np.mean(self.predict(X_val) == y_val)))
            learning_rate *= learning_rate_decay
    return {"loss_history": loss_history, "train_acc_history": train_acc_history,
            "val_acc_history": val_acc_history}


TwoLayerNet.train = _train
